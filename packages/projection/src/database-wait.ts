import { backoffDelay, sleep } from './backoff.js';
import { describeError, type Logger } from './logger.js';

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  // Postgres: cannot_connect_now (starting up or shutting down), admin_shutdown, crash_shutdown.
  '57P03',
  '57P01',
  '57P02',
]);

/**
 * True for errors that mean "the database is not reachable right now" (refused or reset
 * connections, a server starting up or shutting down, Postgres' class 08 connection
 * exceptions), as opposed to a wrong password, a missing database or a failing migration.
 * Looks through `cause` chains (a failed migration wraps the driver's error).
 */
export function isTransientDatabaseError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('08'))) {
      return true;
    }
    if (e instanceof Error && /Connection terminated/i.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
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
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await step();
    } catch (error) {
      const delay = backoffDelay(attempt, 250, 5000);
      if (!isTransientDatabaseError(error) || Date.now() + delay > deadline) throw error;
      options.logger.warn(
        { ...describeError(error), attempt, retryInMs: delay },
        'database not reachable at boot; waiting for it',
      );
      await sleep(delay);
    }
  }
}
