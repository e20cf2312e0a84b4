import { readEnv } from '@novamed-stream/service-kit';
import type { Static, TObject } from '@sinclair/typebox';

/** Thrown by {@link readBenchSettings}: one line per bad variable, by name, never its value. */
export class BenchSettingsError extends Error {
  override readonly name = 'BenchSettingsError';
  constructor(readonly errors: readonly string[]) {
    super(`invalid benchmark settings:\n  ${errors.join('\n  ')}`);
  }
}

/**
 * Reads a benchmark's knobs as the services read their settings (`readEnv` with an `EnvType`
 * schema): a bad value stops the run before it starts, with a message naming the variable,
 * rather than becoming `NaN` events or a zero-second phase an hour later.
 */
export function readBenchSettings<T extends TObject>(
  schema: T,
  environment: Readonly<Record<string, string | undefined>>,
): Static<T> {
  const read = readEnv(schema, environment);
  if (!read.ok) throw new BenchSettingsError(read.errors);
  return read.env;
}
