import { retry } from './retry.js';

/** What one look of {@link pollUntil} found. */
export type PollStep<T> =
  | { status: 'done'; value: T }
  /** Not yet: look again after the interval. */
  | { status: 'wait'; reason: string }
  /** Never will be (e.g. the process being waited for exited): stop now. */
  | { status: 'stop'; reason: string };

/** How {@link pollUntil} ended. */
export type PollOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'TIMEOUT' | 'STOPPED' | 'ABORTED'; detail: string };

/** Options of {@link pollUntil}. */
export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal | undefined;
}

class NotYet extends Error {}
class Stopped extends Error {}

/**
 * Looks with `check` every `intervalMs` until it is done, says stop, `timeoutMs` passes or
 * `signal` aborts. A `check` that throws counts as "not yet" (its message is the detail of a
 * timeout). Built on {@link retry}, so every wait of the services shares one backoff engine.
 */
export async function pollUntil<T>(
  check: () => Promise<PollStep<T>>,
  options: PollOptions,
): Promise<PollOutcome<T>> {
  let detail = 'no look finished';
  try {
    const value = await retry(
      async () => {
        let step: PollStep<T>;
        try {
          step = await check();
        } catch (error) {
          detail = error instanceof Error ? error.message : String(error);
          throw new NotYet(detail);
        }
        switch (step.status) {
          case 'done':
            return step.value;
          case 'wait':
            detail = step.reason;
            throw new NotYet(step.reason);
          case 'stop':
            detail = step.reason;
            throw new Stopped(step.reason);
          default:
            return assertNever(step);
        }
      },
      {
        minDelayMs: options.intervalMs,
        maxDelayMs: options.intervalMs,
        factor: 1,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        shouldRetry: (error) => error instanceof NotYet,
      },
    );
    return { ok: true, value };
  } catch (error) {
    if (options.signal?.aborted) return { ok: false, reason: 'ABORTED', detail };
    if (error instanceof Stopped) return { ok: false, reason: 'STOPPED', detail };
    if (error instanceof NotYet) return { ok: false, reason: 'TIMEOUT', detail };
    throw error;
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected poll step ${JSON.stringify(value)}`);
}
