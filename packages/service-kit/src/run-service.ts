import type { Logger } from 'pino';
import { flushLogger, installShutdown } from './graceful-shutdown.js';

/** Options of {@link runService}. */
export interface RunServiceOptions<S> {
  /** For the one-line reason of a failed start, e.g. `projector-orders`. */
  name: string;
  logger: Logger;
  /** Hard deadline of the graceful stop (see `installShutdown`). */
  shutdownTimeoutMs: number;
  /** Builds and starts the service; `signal` aborts when a stop is requested during boot. */
  start: (signal: AbortSignal) => Promise<S>;
  /** Stops the running service gracefully. */
  stop: (service: S, reason: string) => Promise<void>;
  /** Called when the deadline passes, before the exit. */
  onTimeout?: () => void;
  /** A value-free description of a start failure; default the error's message. */
  describeError?: (error: unknown) => string;
}

/**
 * The body of a service's `main`: installs the graceful shutdown, then starts the service. A
 * stop requested while it is still starting waits for the start to settle (the start's wait
 * for a dependency ends at once: `signal`) and then stops what started, exiting 0. A start that
 * fails otherwise exits 1 with a one-line reason on stderr. Resolves with the service.
 */
export async function runService<S>(options: RunServiceOptions<S>): Promise<S | undefined> {
  let booting: Promise<S> | undefined;
  const shutdown = installShutdown({
    logger: options.logger,
    timeoutMs: options.shutdownTimeoutMs,
    ...(options.onTimeout ? { onTimeout: options.onTimeout } : {}),
    stop: async (reason) => {
      const service = await booting?.catch(() => undefined);
      if (service !== undefined) await options.stop(service, reason);
    },
  });
  booting = options.start(shutdown.signal);
  try {
    return await booting;
  } catch (error) {
    // A stop during boot: the shutdown exits 0 once the start has settled.
    if (shutdown.signal.aborted) return undefined;
    const reason = options.describeError?.(error) ?? describe(error);
    options.logger.fatal({ error: reason }, 'could not start');
    flushLogger(options.logger);
    process.stderr.write(`${options.name} could not start: ${reason}\n`);
    process.exit(1);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
