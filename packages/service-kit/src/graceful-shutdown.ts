import { type Logger, symbols } from 'pino';

/** Options of {@link installShutdown}. */
export interface ShutdownOptions {
  logger: Logger;
  /** Hard deadline: a stop still running this long after it began exits 1. */
  timeoutMs: number;
  /** Stops the service gracefully (drain, close clients); `reason` is the signal or event. */
  stop: (reason: string) => Promise<void>;
  /** Called when the deadline passes, before the exit (e.g. to log what is abandoned). */
  onTimeout?: () => void;
  /** Replaces `process.exit` (tests). */
  exit?: (code: number) => void;
}

/** The shutdown an entry point installed. */
export interface Shutdown {
  /** Aborted as soon as a stop begins: pass it to whatever waits at boot. */
  readonly signal: AbortSignal;
  /** Starts the stop now, as a signal would (a second call does nothing). */
  trigger(reason: string): void;
}

/** Writes out a pino logger's buffered lines synchronously (an async destination buffers). */
export function flushLogger(logger: Logger): void {
  const stream = (logger as unknown as Record<symbol, unknown>)[symbols.streamSym] as
    | { flushSync?: () => void }
    | undefined;
  try {
    stream?.flushSync?.();
  } catch {
    // A destination not yet open cannot be flushed; the exit goes on.
  }
}

/**
 * Installs the one graceful shutdown of a service's entry point (never a library's): SIGTERM,
 * SIGINT, and, when started with an IPC channel (by `npm start`), the parent process going
 * away, all run `stop` once; after it the logger is flushed and the process exits 0, or 1 when
 * `stop` fails or the `timeoutMs` deadline passes first. An unhandled rejection is logged as
 * fatal and exits 1.
 *
 * A small function rather than close-with-grace: that library exits 1 on a second signal,
 * while a process manager that relays SIGTERM twice must not cut a drain short, and it has no
 * watch for a parent that is gone.
 */
export function installShutdown(options: ShutdownOptions): Shutdown {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const controller = new AbortController();
  const finish = (code: number) => {
    flushLogger(logger);
    exit(code);
  };
  const trigger = (reason: string) => {
    // A second signal (e.g. relayed by a process manager) must not end a drain halfway.
    if (controller.signal.aborted) return;
    controller.abort(new Error(`shutting down (${reason})`));
    logger.info({ signal: reason }, 'shutting down');
    setTimeout(() => {
      logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out');
      options.onTimeout?.();
      finish(1);
    }, options.timeoutMs).unref();
    options.stop(reason).then(
      () => {
        logger.info('shutdown complete');
        finish(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        finish(1);
      },
    );
  };
  process.on('SIGTERM', () => trigger('SIGTERM'));
  process.on('SIGINT', () => trigger('SIGINT'));
  if (process.channel) {
    process.on('disconnect', () => trigger('parent process gone'));
    process.channel.unref();
  }
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    finish(1);
  });
  return { signal: controller.signal, trigger };
}
