import { classifyFailure, type Failure } from './classify-failure.js';

/** A message found to fail on its own, and why. */
export interface PoisonMessage<M> {
  message: M;
  failure: Failure;
}

/** Outcome of {@link isolatePoison}. */
export type Isolation<M> =
  | {
      ok: true;
      /** Messages that failed alone, in input order; every other message was applied. */
      poison: PoisonMessage<M>[];
      /** How many times `apply` was called. */
      trials: number;
    }
  | {
      ok: false;
      /** A trial failed for a reason that is not any message's: stop, retry the batch later. */
      reason: 'NOT_A_MESSAGE_FAULT';
      failure: Failure;
      error: unknown;
      trials: number;
    };

/**
 * Narrows a failing batch down to the messages that fail on their own, by bisection. `apply`
 * applies a run of consecutive messages or throws, leaving no effect when it throws (a
 * savepoint); runs are applied in input order, each on top of the runs applied before it, so
 * what survives is exactly the batch minus its poison, applied once and in order. A run that
 * fails is split in halves until a single message fails: that one is poison. A failure that
 * is `TRANSIENT` or `ENVIRONMENT` (see {@link classifyFailure}) stops the search: it is not a
 * message's fault, and the caller must abandon everything applied so far. Iterative (a stack
 * of runs), so a big batch never deepens the call stack.
 */
export async function isolatePoison<M>(
  messages: readonly M[],
  apply: (run: readonly M[]) => Promise<void>,
  options: { afterTrial?: () => Promise<void> } = {},
): Promise<Isolation<M>> {
  const poison: PoisonMessage<M>[] = [];
  let trials = 0;
  // Runs still to apply, the next one on top; [start, end) into `messages`.
  const pending: Array<[number, number]> = messages.length > 0 ? [[0, messages.length]] : [];
  while (pending.length > 0) {
    const [start, end] = pending.pop() as [number, number];
    trials++;
    try {
      await apply(messages.slice(start, end));
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === 'TRANSIENT' || failure.kind === 'ENVIRONMENT') {
        return { ok: false, reason: 'NOT_A_MESSAGE_FAULT', failure, error, trials };
      }
      if (end - start === 1) {
        poison.push({ message: messages[start] as M, failure });
      } else {
        const middle = start + Math.ceil((end - start) / 2);
        pending.push([middle, end], [start, middle]);
      }
    }
    await options.afterTrial?.();
  }
  return { ok: true, poison, trials };
}
