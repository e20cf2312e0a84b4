import { PHI_FIELDS } from '@novamed-stream/events';
import { type DestinationStream, destination, type Logger, pino, stdTimeFunctions } from 'pino';
import { REDACTED, redactPaths, redactPhi } from './redact-phi.js';

// pino runs `formatters.bindings` on the root logger's bindings only (a child resets it), but it
// runs serializers on a child's bindings too: a PHI-named binding is redacted by one of these.
const PHI_SERIALIZERS = Object.fromEntries(PHI_FIELDS.map((field) => [field, () => REDACTED]));

/** A destination that can be flushed synchronously before the process exits. */
export type LogDestination = DestinationStream & { flushSync?: () => void };

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The `service` field of every line, e.g. `ingress`, `projector-orders`. */
  service: string;
  /** pino level: fatal, error, warn, info, debug, trace or silent. Default info. */
  level?: string;
  /** Where the JSON lines go (default {@link createLogDestination}). Tests pass a stream. */
  destination?: LogDestination;
  /**
   * More pino `redact` paths, added to the kit's secret headers: a service's own secrets, e.g.
   * the console's key header and its session cookie.
   */
  extraRedactPaths?: readonly string[];
}

/**
 * stdout, written asynchronously in chunks of at least 4 KiB (one syscall per few dozen lines
 * instead of one per line) and flushed every 500 ms, so a quiet process still shows its lines
 * at once. Call `flushSync()` before `process.exit` (the kit's shutdown does).
 */
export function createLogDestination(): ReturnType<typeof destination> {
  const stream = destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => stream.flush(), 500).unref();
  return stream;
}

/**
 * The JSON logger of every service: ISO timestamps, secret headers redacted by path, and every
 * PHI-named field redacted at any depth of the logged object (see {@link redactPhi}) and of
 * the root bindings, and as a key of a child's bindings. Services never log payloads; this is the second line of defence.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: [...redactPaths(), ...(options.extraRedactPaths ?? [])], censor: REDACTED },
      formatters: {
        log: (object) => redactPhi(object),
        bindings: (bindings) => redactPhi(bindings),
      },
      serializers: PHI_SERIALIZERS,
      base: { service: options.service },
      timestamp: stdTimeFunctions.isoTime,
    },
    options.destination ?? createLogDestination(),
  );
}
