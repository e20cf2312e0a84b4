import { classifyFailure } from './classify-failure.js';

/** The subset of a pino logger the runtime uses. Never pass payload values to it. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

// SQLSTATE classes whose messages name servers, users or databases, never a row's values:
// connection exceptions, authorization, a missing database, resources, shutdowns.
const MESSAGE_SAFE_CLASSES = new Set(['08', '28', '3D', '53', '57']);

/**
 * A value-free description of an error: its class, Postgres/Kafka code and message. A
 * Postgres error of another class (e.g. 22P02 `invalid input syntax for type ...: "<value>"`)
 * and a SyntaxError (JSON.parse quotes its input) get a fixed description instead of their
 * message, since those messages can quote the offending value.
 */
export function describeError(error: unknown): { error: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
    const quotesValues =
      error instanceof SyntaxError ||
      (sqlState !== undefined && !MESSAGE_SAFE_CLASSES.has(sqlState.slice(0, 2)));
    const message = quotesValues ? classifyFailure(error).description : error.message;
    return {
      error: `${error.name}: ${message}`.slice(0, 300),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { error: 'non-error thrown' };
}
