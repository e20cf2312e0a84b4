import { PHI_FIELDS } from '@novamed-stream/events';
import { type DestinationStream, destination, type Logger, pino, stdTimeFunctions } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level: fatal, error, warn, info, debug, trace or silent. Default info. */
  level?: string;
  /** Where the JSON lines go (default stdout). Tests pass a stream to capture them. */
  destination?: DestinationStream;
}

/**
 * stdout, written asynchronously in chunks of at least 4 KiB (one syscall per few dozen lines
 * instead of one per line) and flushed every 500 ms, so a quiet process still shows its lines
 * at once. Call `flushSync()` before `process.exit`.
 */
export function createLogDestination(): ReturnType<typeof destination> {
  const stream = destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => stream.flush(), 500).unref();
  return stream;
}

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

const SECRET_HEADERS = ['["x-api-key"]', '.authorization', '.cookie'];

/**
 * pino `redact` paths: the key, authorization and cookie headers wherever a request or its
 * headers are logged.
 */
export function redactPaths(): string[] {
  return SECRET_HEADERS.flatMap((member) => [
    `req.headers${member}`,
    `request.headers${member}`,
    `headers${member}`,
  ]);
}

const PHI = new Set<string>(PHI_FIELDS);
const MAX_DEPTH = 8;

/**
 * Returns `value` with every property named like a PHI field (from the events package)
 * replaced by {@link REDACTED}, at any depth (up to 8 levels) of plain objects and arrays. The
 * input is never mutated; it is returned as is when nothing needed redacting. Class instances
 * (errors, requests) are left to their serializers.
 *
 * Why not pino's wildcard `redact` paths: covering 18 field names four levels deep takes ~100
 * paths and costs ~150 µs per log line (30 µs at one level); this walk costs ~1 µs.
 */
export function redactPhi<T>(value: T, depth = 0): T {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const cleaned = redactPhi(item, depth + 1);
      if (cleaned !== item) {
        copy ??= value.slice();
        copy[i] = cleaned;
      }
    }
    return (copy ?? value) as T;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const cleaned = PHI.has(key) ? REDACTED : redactPhi(item, depth + 1);
    if (cleaned !== item) {
      copy ??= { ...record };
      copy[key] = cleaned;
    }
  }
  return (copy ?? value) as T;
}

/**
 * A pino JSON logger with the ingress's redaction rules: secret headers by path, PHI field
 * names at any depth (see {@link redactPhi}). Request bodies are never logged at all; this is
 * the second line of defence.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: redactPaths(), censor: REDACTED },
      formatters: {
        log: (object) => redactPhi(object),
        bindings: (bindings) => redactPhi(bindings),
      },
      base: { service: 'ingress' },
      timestamp: stdTimeFunctions.isoTime,
    },
    options.destination ?? createLogDestination(),
  );
}
