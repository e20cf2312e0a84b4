/** The subset of a pino logger the runtime uses. Never pass payload values to it. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** A value-free description of an error: its class, Postgres/Kafka code and message. */
export function describeError(error: unknown): { error: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      error: `${error.name}: ${error.message}`.slice(0, 300),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { error: 'non-error thrown' };
}
