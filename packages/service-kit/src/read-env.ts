import { KindGuard, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseDurationMs } from './env-type.js';

/** Outcome of {@link readEnv}: the typed values, or one line per bad variable. */
export type EnvResult<T> = { ok: true; env: T } | { ok: false; errors: string[] };

/** Thrown by {@link requireEnv}: its message lists every bad variable by name, never a value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly errors: readonly string[]) {
    super(`invalid configuration:\n  ${errors.join('\n  ')}`);
  }
}

const NOT_COERCIBLE = Symbol('not coercible');
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function coerce(schema: TSchema, text: string): unknown {
  switch (schema['coerce']) {
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    case 'duration':
      return parseDurationMs(text) ?? NOT_COERCIBLE;
    case 'url':
      return isUrlOf(text, schema['protocols'] as string[]) ? text : NOT_COERCIBLE;
  }
  switch (schema.type) {
    case 'integer':
      return /^-?\d+$/.test(text) ? Number(text) : NOT_COERCIBLE;
    case 'number':
      return /^-?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i.test(text) ? Number(text) : NOT_COERCIBLE;
    case 'boolean': {
      const lower = text.toLowerCase();
      return TRUE.has(lower) ? true : FALSE.has(lower) ? false : NOT_COERCIBLE;
    }
    default:
      return text;
  }
}

function isUrlOf(text: string, protocols: readonly string[]): boolean {
  try {
    const url = new URL(text);
    return protocols.includes(url.protocol.slice(0, -1)) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** What a variable must be, in words (never its value). */
export function expectedOf(schema: TSchema): string {
  if (typeof schema['expected'] === 'string') return schema['expected'];
  if (schema['coerce'] === 'url') {
    return `an absolute ${(schema['protocols'] as string[]).map((p) => `${p}://`).join(' or ')} URL with a host`;
  }
  if (schema['coerce'] === 'duration') {
    return `a duration from ${schema.minimum} to ${schema.maximum} ms (e.g. 500, 500ms, 5s, 2m)`;
  }
  if (schema['coerce'] === 'list') return `a comma-separated list of ${expectedOf(schema.items)}`;
  if (schema.type === 'integer') return `an integer from ${schema.minimum} to ${schema.maximum}`;
  if (schema.type === 'number') return `a number from ${schema.minimum} to ${schema.maximum}`;
  if (schema.type === 'boolean') return 'true or false';
  if (Array.isArray(schema.anyOf)) {
    return `one of ${schema.anyOf.map((member: TSchema) => member.const).join(', ')}`;
  }
  if (typeof schema.pattern === 'string') return `a string matching ${schema.pattern}`;
  if (typeof schema.minLength === 'number' && schema.minLength > 1) {
    return `at least ${schema.minLength} characters`;
  }
  return 'a non-empty string';
}

/**
 * Reads the variables `schema` names from `environment` (usually `process.env`, which only a
 * service's entry point reads): trims them, treats empty values as unset, coerces each by its
 * schema (see `EnvType`), applies defaults and validates. Errors name each bad variable and
 * what it must be, and never echo a value (it may be a secret or PHI):
 * `PORT must be an integer from 0 to 65535`, `DATABASE_URL is required (...)`.
 */
export function readEnv<T extends TObject>(
  schema: T,
  environment: Readonly<Record<string, string | undefined>>,
): EnvResult<Static<T>> {
  const values: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const [name, property] of Object.entries(schema.properties) as [string, TSchema][]) {
    const text = environment[name]?.trim();
    if (text === undefined || text === '') {
      if (property.default !== undefined) values[name] = Value.Clone(property.default);
      else if (!KindGuard.IsOptional(property)) {
        errors.push(`${name} is required (${expectedOf(property)})`);
      }
      continue;
    }
    const value = coerce(property, text);
    if (value === NOT_COERCIBLE || !Value.Check(property, value)) {
      errors.push(`${name} must be ${expectedOf(property)}`);
      continue;
    }
    values[name] = value;
  }
  if (errors.length > 0) return { ok: false, errors };
  if (!Value.Check(schema, values)) {
    // Unreachable for schemas built from EnvType; a guard against a hand-written one.
    const names = [...new Set([...Value.Errors(schema, values)].map((e) => e.path.slice(1)))];
    return { ok: false, errors: names.map((name) => `${name} is invalid`) };
  }
  return { ok: true, env: values as Static<T> };
}

/** {@link readEnv} that throws a {@link ConfigError} instead of returning the errors. */
export function requireEnv<T extends TObject>(
  schema: T,
  environment: Readonly<Record<string, string | undefined>>,
): Static<T> {
  const result = readEnv(schema, environment);
  if (!result.ok) throw new ConfigError(result.errors);
  return result.env;
}
