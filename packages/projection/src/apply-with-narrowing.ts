import type { Failure } from './classify-failure.js';

/** One try at a batch: its outcome, or the classified failure. */
export type AttemptResult<T> = { ok: true; outcome: T } | { ok: false; failure: Failure };

/** What {@link applyWithNarrowing} does next after a failure that is not plainly transient. */
export type NextAttempt = 'retrying once' | 'narrowing the batch';

/** Options for {@link applyWithNarrowing}. */
export interface ApplyWithNarrowingOptions {
  /** False once the partition is revoked or the consumer stops: no further attempt then. */
  stillOwned: () => boolean;
  /** Called before each further attempt, with the failure that led to it. */
  onRetry?: (failure: Failure, next: NextAttempt) => void;
}

/**
 * The retry-once-then-bisect decision for one batch. `attempt(false)` applies it as it is,
 * `attempt(true)` narrows it to the message(s) that fail on their own. A failure that is not
 * plainly transient ({@link narrowable}) is retried once as it is (it may pass), then narrowed;
 * a transient or environment failure is returned at once, for the caller to retry the batch
 * later without blaming any message.
 */
export async function applyWithNarrowing<T>(
  attempt: (isolate: boolean) => Promise<AttemptResult<T>>,
  options: ApplyWithNarrowingOptions,
): Promise<AttemptResult<T>> {
  let result = await attempt(false);
  for (const isolate of [false, true]) {
    if (result.ok || !narrowable(result.failure) || !options.stillOwned()) break;
    options.onRetry?.(result.failure, isolate ? 'narrowing the batch' : 'retrying once');
    result = await attempt(isolate);
  }
  return result;
}

/** Failures worth narrowing a batch for: neither transient nor the database's own. */
export function narrowable(failure: Failure): boolean {
  switch (failure.kind) {
    case 'MESSAGE':
    case 'UNKNOWN':
      return true;
    case 'TRANSIENT':
    case 'ENVIRONMENT':
      return false;
    default: {
      const unreachable: never = failure.kind;
      return unreachable;
    }
  }
}
