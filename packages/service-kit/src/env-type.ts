import {
  type SchemaOptions,
  type TArray,
  type TBoolean,
  type TInteger,
  type TLiteral,
  type TNumber,
  type TString,
  type TUnion,
  Type,
} from '@sinclair/typebox';

/**
 * How {@link readEnv} turns a variable's text into a value, kept on the schema (TypeBox keeps
 * unknown keywords). Integers, numbers, booleans and strings are recognised by their type.
 */
export type EnvCoercion = 'list' | 'url' | 'duration';

/** Options every builder takes: a default, a description, and the "expected" text of errors. */
export interface EnvOptions<T> {
  default?: T;
  description?: string;
  /** What an error says the variable must be; each builder has a sensible one. */
  expected?: string;
}

const HOST_PORT = '^[^\\s:/,]+:\\d{1,5}$';
const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

function options<T>(given: EnvOptions<T> | undefined, extra: SchemaOptions): SchemaOptions {
  const picked: SchemaOptions = { ...extra };
  if (given?.default !== undefined) picked.default = given.default;
  if (given?.description !== undefined) picked.description = given.description;
  if (given?.expected !== undefined) picked['expected'] = given.expected;
  return picked;
}

/**
 * Builders of environment-variable schemas for {@link readEnv}: each is a plain TypeBox schema
 * (so `Static<typeof Schema>` types the result) that also says how to coerce the text and what
 * to tell the operator when it is wrong.
 */
export const EnvType = {
  /** An integer from `minimum` to `maximum`. */
  integer(minimum: number, maximum: number, given?: EnvOptions<number>): TInteger {
    return Type.Integer(options(given, { minimum, maximum }));
  },
  /** A TCP port; 0 (any free port) only when `allowZero`. */
  port(given?: EnvOptions<number> & { allowZero?: boolean }): TInteger {
    return Type.Integer(options(given, { minimum: given?.allowZero ? 0 : 1, maximum: 65_535 }));
  },
  /** A (decimal) number from `minimum` to `maximum`. */
  number(minimum: number, maximum: number, given?: EnvOptions<number>): TNumber {
    return Type.Number(options(given, { minimum, maximum }));
  },
  /** `true`/`false` (also `1`/`0`, `yes`/`no`). */
  boolean(given?: EnvOptions<boolean>): TBoolean {
    return Type.Boolean(options(given, {}));
  },
  /** A string of at least `minLength` characters (default 1), optionally matching `pattern`. */
  string(given?: EnvOptions<string> & { minLength?: number; pattern?: string }): TString {
    return Type.String(
      options(given, {
        minLength: given?.minLength ?? 1,
        ...(given?.pattern ? { pattern: given.pattern } : {}),
      }),
    );
  },
  /** One of `values`. */
  oneOf<V extends string>(values: readonly V[], given?: EnvOptions<V>): TUnion<TLiteral<V>[]> {
    return Type.Union(
      values.map((value) => Type.Literal(value)),
      options(given, {}),
    );
  },
  /** A comma-separated list (items trimmed, empty items dropped) of at least one item. */
  list(
    item: TString = Type.String({ minLength: 1 }),
    given?: EnvOptions<string[]>,
  ): TArray<TString> {
    return Type.Array(item, options(given, { minItems: 1, coerce: 'list' }));
  },
  /** A comma-separated list of Kafka `host:port` bootstrap servers. */
  brokers(given?: EnvOptions<string[]>): TArray<TString> {
    return EnvType.list(Type.String({ pattern: HOST_PORT }), {
      expected: 'a comma-separated list of host:port',
      ...given,
    });
  },
  /** An absolute URL with a host, of one of `protocols` (without the colon, e.g. `postgres`). */
  url(protocols: readonly string[], given?: EnvOptions<string>): TString {
    return Type.String(options(given, { minLength: 1, coerce: 'url', protocols }));
  },
  /**
   * A duration in milliseconds from `minimumMs` to `maximumMs`: a bare number of ms, or a
   * number with a unit (`250ms`, `5s`, `2m`, `1h`).
   */
  duration(minimumMs: number, maximumMs: number, given?: EnvOptions<number>): TInteger {
    return Type.Integer(
      options(given, { minimum: minimumMs, maximum: maximumMs, coerce: 'duration' }),
    );
  },
} as const;

/** Parses a duration (see {@link EnvType.duration}) to ms, or undefined. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof DURATION_UNITS_MS;
  return Math.round(Number(match[1]) * DURATION_UNITS_MS[unit]);
}
