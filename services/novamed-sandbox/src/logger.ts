import {
  createLogger as createServiceLogger,
  type LogDestination,
} from '@novamed-stream/service-kit';
import type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. Default info. */
  level?: string;
  /** Where the JSON lines go (default stdout); tests pass a stream to capture them. */
  destination?: LogDestination;
}

/**
 * The sandbox's logger: the service kit's with `service: novamed-sandbox`. The sandbox never
 * logs payloads (its patients are fake, but are treated as PHI like real ones): lines carry ids
 * of events, deliveries and webhooks, types, status codes and counts. Secret headers and
 * PHI-named fields are redacted as a second line of defence.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return createServiceLogger({ service: 'novamed-sandbox', ...options });
}
