import { type DestinationStream, type Logger, pino, stdTimeFunctions } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
}

/**
 * The console's pino logger. The key header and the session cookie are redacted wherever a
 * request is logged. No route takes PHI in its URL and none logs a body, so request lines
 * carry only ids (order, request, refill and event ids, not PHI).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: 'console',
      timestamp: stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers["x-console-key"]',
          'req.headers.cookie',
          'req.headers.authorization',
          'res.headers["set-cookie"]',
        ],
        censor: '[REDACTED]',
      },
    },
    options.destination,
  );
}
