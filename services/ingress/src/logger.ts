import {
  createLogger as createServiceLogger,
  type LogDestination,
} from '@novamed-stream/service-kit';
import type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level: fatal, error, warn, info, debug, trace or silent. Default info. */
  level?: string;
  /** Where the JSON lines go (default stdout). Tests pass a stream to capture them. */
  destination?: LogDestination;
}

/**
 * The ingress's logger: the service kit's (secret headers and PHI redacted) with
 * `service: ingress`. Request bodies are never logged at all; redaction is the second line of
 * defence.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return createServiceLogger({ service: 'ingress', ...options });
}
