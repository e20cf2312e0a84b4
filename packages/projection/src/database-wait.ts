import { retry } from '@novamed-stream/service-kit';
import { classifyFailure } from './classify-failure.js';
import { describeError, type Logger } from './logger.js';

/**
 * True for errors that mean "the database is not reachable right now" (refused or reset
 * connections, a server starting up or shutting down, Postgres' class 08 connection
 * exceptions, and the other transient failures of {@link classifyFailure}), as opposed to a
 * wrong password, a missing database or a failing migration. Looks through `cause` chains
 * (a failed migration wraps the driver's error).
 */
export function isTransientDatabaseError(error: unknown): boolean {
  return classifyFailure(error).kind === 'TRANSIENT';
}

/**
 * Runs `step`, retrying with backoff while it fails because the database is unreachable, up to
 * `timeoutMs` in all; other errors (and the last transient one after the timeout) are thrown.
 * An aborted `signal` stops the wait (throws its reason).
 */
export async function untilDatabaseReachable<T>(
  step: () => Promise<T>,
  options: { timeoutMs: number; logger: Logger; signal?: AbortSignal | undefined },
): Promise<T> {
  return retry(step, {
    // Delays from 125-250 ms doubling up to 2.5-5 s (jittered), as the projector's backoff.
    minDelayMs: 125,
    maxDelayMs: 5000,
    randomize: true,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    shouldRetry: (error) => isTransientDatabaseError(error),
    onRetry: (error, attempt) =>
      options.logger.warn(
        { ...describeError(error), attempt },
        'database not reachable at boot; waiting for it',
      ),
  });
}
