import {
  createLogger as createServiceLogger,
  type LogDestination,
} from '@novamed-stream/service-kit';
import type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level: fatal, error, warn, info, debug, trace or silent. Default info. */
  level?: string;
  /** Where the JSON lines go (default stdout, buffered); tests pass a stream to capture them. */
  destination?: LogDestination;
}

/**
 * The console's own secrets, redacted on top of the kit's headers (authorization, cookie,
 * x-api-key): its key header, and the session cookie it sets.
 */
const CONSOLE_SECRET_PATHS = ['req.headers["x-console-key"]', 'res.headers["set-cookie"]'];

/**
 * The console's logger: the service kit's (secret headers and PHI-named fields redacted) with
 * `service: console`, plus the console's key header and session cookie. No route takes PHI in
 * its URL and none logs a body, so request lines carry only ids (order, request, refill and
 * event ids, not PHI); redaction is the second line of defence.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return createServiceLogger({
    service: 'console',
    extraRedactPaths: CONSOLE_SECRET_PATHS,
    ...options,
  });
}
