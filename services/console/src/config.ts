import { EVENTS_TOPIC } from '@novamed-stream/events';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Shortest accepted console key: shorter secrets are guessable (the ingress's rule). */
export const MIN_CONSOLE_KEY_LENGTH = 16;

const int = (minimum: number, maximum: number, fallback: number, description: string) =>
  Type.Integer({ minimum, maximum, default: fallback, description });

/**
 * The environment variables of the console, with their rules and defaults. `main.ts` validates
 * `process.env` against it at boot; docs/console.md documents the same list.
 */
export const EnvSchema = Type.Object({
  PORT: int(0, 65_535, 8070, 'TCP port to listen on'),
  HOST: Type.String({
    minLength: 1,
    default: '127.0.0.1',
    description: 'interface to bind (localhost unless set: the console shows PHI on request)',
  }),
  CONSOLE_API_KEYS: Type.String({
    minLength: 1,
    description: `comma-separated accepted console keys (each >= ${MIN_CONSOLE_KEY_LENGTH} chars)`,
  }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://', description: 'postgres://...' }),
  CONSOLE_DATABASE_ROLE: Type.String({
    pattern: '^[a-z_][a-z0-9_]{0,62}$',
    default: 'console_reader',
    description: 'role the console sets on each connection (read-only, made by a migration)',
  }),
  KAFKA_BROKERS: Type.String({
    pattern: '^\\s*[^,\\s]+:\\d+\\s*(,\\s*[^,\\s]+:\\d+\\s*)*$',
    description: 'comma-separated host:port list',
  }),
  EVENTS_TOPIC: Type.String({ pattern: '^[A-Za-z0-9._-]{1,249}$', default: EVENTS_TOPIC }),
  METRICS_URLS: Type.String({
    pattern: '^\\s*[a-z_-]+=https?://[^,\\s]+\\s*(,\\s*[a-z_-]+=https?://[^,\\s]+\\s*)*$',
    default:
      'ingress=http://127.0.0.1:8080/metrics,orders=http://127.0.0.1:9101/metrics,medication_requests=http://127.0.0.1:9102/metrics,refills=http://127.0.0.1:9103/metrics',
    description: 'name=url of each /metrics endpoint to read (ingress, and one per projector)',
  }),
  SAMPLE_INTERVAL_MS: int(500, 60_000, 2000, 'how often the live flow is sampled'),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) =>
      Type.Literal(level),
    ),
    { default: 'info' },
  ),
});

/** The validated environment (defaults applied). */
export type Env = Static<typeof EnvSchema>;

/** One `/metrics` endpoint the live flow reads. */
export interface MetricsSource {
  /** `ingress`, or a projector name. */
  name: string;
  url: string;
}

/** Everything the console process needs, derived from the environment. */
export interface ConsoleConfig {
  port: number;
  host: string;
  apiKeys: string[];
  databaseUrl: string;
  databaseRole: string;
  kafkaBrokers: string[];
  eventsTopic: string;
  metrics: MetricsSource[];
  sampleIntervalMs: number;
  logLevel: string;
}

/** Outcome of {@link loadConfig}; each error names the variable and never echoes its value. */
export type ConfigResult = { ok: true; config: ConsoleConfig } | { ok: false; errors: string[] };

function describe(schema: TSchema): string {
  if (schema.type === 'integer') return `an integer from ${schema.minimum} to ${schema.maximum}`;
  if (schema.anyOf) return `one of ${schema.anyOf.map((s: TSchema) => s.const).join(', ')}`;
  if (schema.pattern) return `a string matching ${schema.pattern}`;
  return 'a non-empty string';
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * Validates an environment (usually `process.env`) against {@link EnvSchema}. Empty values
 * count as unset. Errors name the variable and the rule, never the value (it may be a secret,
 * and DATABASE_URL holds a password).
 */
export function loadConfig(environment: Record<string, string | undefined>): ConfigResult {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(EnvSchema.properties)) {
    const value = environment[name];
    if (value !== undefined && value.trim() !== '') raw[name] = value.trim();
  }
  const converted = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw));
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(EnvSchema, converted)) {
    const name = error.path.split('/')[1] ?? '';
    if (seen.has(name)) continue;
    seen.add(name);
    const schema = EnvSchema.properties[name as keyof Env] as TSchema | undefined;
    errors.push(
      name in raw || schema === undefined
        ? `${name} must be ${schema ? describe(schema) : 'valid'}`
        : `${name} is required (${describe(schema)})`,
    );
  }
  if (errors.length > 0 || !Value.Check(EnvSchema, converted)) return { ok: false, errors };
  const env = converted;
  const apiKeys = splitList(env.CONSOLE_API_KEYS);
  if (apiKeys.length === 0) errors.push('CONSOLE_API_KEYS must list at least one key');
  if (apiKeys.some((key) => key.length < MIN_CONSOLE_KEY_LENGTH)) {
    errors.push(
      `CONSOLE_API_KEYS: every key must be at least ${MIN_CONSOLE_KEY_LENGTH} characters`,
    );
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      port: env.PORT,
      host: env.HOST,
      apiKeys,
      databaseUrl: env.DATABASE_URL,
      databaseRole: env.CONSOLE_DATABASE_ROLE,
      kafkaBrokers: splitList(env.KAFKA_BROKERS),
      eventsTopic: env.EVENTS_TOPIC,
      metrics: splitList(env.METRICS_URLS).map((entry) => {
        const at = entry.indexOf('=');
        return { name: entry.slice(0, at), url: entry.slice(at + 1) };
      }),
      sampleIntervalMs: env.SAMPLE_INTERVAL_MS,
      logLevel: env.LOG_LEVEL,
    },
  };
}
