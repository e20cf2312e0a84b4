import { PHI_FIELDS } from '@novamed-stream/events';
import { type DestinationStream, destination, type Logger, pino, stdTimeFunctions } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. Default info. */
  level?: string;
  /** Where the JSON lines go (default stdout); tests pass a stream to capture them. */
  destination?: DestinationStream;
}

const REDACTED = '[REDACTED]';
const PHI = new Set<string>(PHI_FIELDS);

/** A copy of `value` with every PHI-named property (any depth up to 6) redacted. */
export function redactPhi<T>(value: T, depth = 0): T {
  if (typeof value !== 'object' || value === null || depth > 6) return value;
  if (Array.isArray(value)) return value.map((item) => redactPhi(item, depth + 1)) as T;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = PHI.has(key) ? REDACTED : redactPhi(item, depth + 1);
  }
  return out as T;
}

/**
 * The sandbox's pino logger. The sandbox never logs payloads (its patients are fake, but are
 * treated as PHI like real ones): lines carry ids of events, deliveries and webhooks, types,
 * status codes and counts. Secret headers and PHI-named fields are redacted as a second line of
 * defence.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'novamed-sandbox' },
      timestamp: stdTimeFunctions.isoTime,
      redact: {
        paths: ['req.headers["x-api-key"]', 'headers["x-api-key"]', 'req.headers.authorization'],
        censor: REDACTED,
      },
      formatters: { log: (object) => redactPhi(object) },
    },
    options.destination ?? destination({ dest: 1, sync: false }),
  );
}
