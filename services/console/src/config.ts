import { EVENTS_TOPIC } from '@novamed-stream/events';
import {
  DatabaseConnectionEnv,
  EnvType,
  type KafkaConnection,
  KafkaConnectionEnv,
  type ReadTextFile,
  readEnv,
  resolveKafkaConnection,
} from '@novamed-stream/service-kit';
import { type Static, Type } from '@sinclair/typebox';

/** Shortest accepted console key: shorter secrets are guessable (the ingress's rule). */
export const MIN_CONSOLE_KEY_LENGTH = 16;

const METRICS_SOURCE = '^[a-z_-]+=https?://[^,\\s]+$';

/**
 * The environment variables of the console, with their rules and defaults. `main.ts` validates
 * `process.env` against it at boot (the kit's `readEnv`); docs/console.md documents the same list.
 */
export const EnvSchema = Type.Object({
  PORT: EnvType.port({ allowZero: true, default: 8070, description: 'TCP port to listen on' }),
  HOST: EnvType.string({
    default: '127.0.0.1',
    description: 'interface to bind (localhost unless set: the console shows PHI on request)',
  }),
  CONSOLE_API_KEYS: EnvType.list(Type.String({ minLength: 1 }), {
    description: `comma-separated accepted console keys (each >= ${MIN_CONSOLE_KEY_LENGTH} chars)`,
    expected: 'a comma-separated list of at least one key',
  }),
  DATABASE_URL: EnvType.url(['postgres', 'postgresql'], { description: 'postgres://...' }),
  ...DatabaseConnectionEnv,
  CONSOLE_DATABASE_ROLE: EnvType.string({
    pattern: '^[a-z_][a-z0-9_]{0,62}$',
    default: 'console_reader',
    description: 'role the console sets on each connection (read-only, made by a migration)',
  }),
  KAFKA_BROKERS: EnvType.brokers({ description: 'comma-separated host:port list' }),
  ...KafkaConnectionEnv,
  EVENTS_TOPIC: EnvType.string({ pattern: '^[A-Za-z0-9._-]{1,249}$', default: EVENTS_TOPIC }),
  METRICS_URLS: EnvType.list(Type.String({ pattern: METRICS_SOURCE }), {
    default: [
      'ingress=http://127.0.0.1:8080/metrics',
      'orders=http://127.0.0.1:9101/metrics',
      'medication_requests=http://127.0.0.1:9102/metrics',
      'refills=http://127.0.0.1:9103/metrics',
    ],
    description: 'name=url of each /metrics endpoint to read (ingress, and one per projector)',
    expected: 'a comma-separated list of name=http(s)://host/path',
  }),
  SAMPLE_INTERVAL_MS: EnvType.integer(500, 60_000, {
    default: 2000,
    description: 'how often the live flow is sampled',
  }),
  LOG_LEVEL: EnvType.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
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
  /** DATABASE_CA_FILE: the CA of the Postgres server (with `sslmode` in the URL). */
  databaseCaFile: string | undefined;
  databaseRole: string;
  kafkaBrokers: string[];
  /** TLS and SASL of the Kafka connections (files already read). */
  kafkaConnection: KafkaConnection;
  eventsTopic: string;
  metrics: MetricsSource[];
  sampleIntervalMs: number;
  logLevel: string;
}

/** Outcome of {@link loadConfig}; each error names the variable and never echoes its value. */
export type ConfigResult = { ok: true; config: ConsoleConfig } | { ok: false; errors: string[] };

/**
 * Validates an environment (usually `process.env`) against {@link EnvSchema} with the kit's
 * `readEnv` and derives the configuration. Empty values count as unset. Errors name the
 * variable and the rule, never the value (it may be a secret, and DATABASE_URL holds a password).
 */
export function loadConfig(
  environment: Record<string, string | undefined>,
  readFile?: ReadTextFile,
): ConfigResult {
  const read = readEnv(EnvSchema, environment);
  if (!read.ok) return read;
  const { env } = read;
  const kafkaConnection = resolveKafkaConnection(env, readFile);
  if (!kafkaConnection.ok) return kafkaConnection;
  if (env.CONSOLE_API_KEYS.some((key) => key.length < MIN_CONSOLE_KEY_LENGTH)) {
    return {
      ok: false,
      errors: [`CONSOLE_API_KEYS: every key must be at least ${MIN_CONSOLE_KEY_LENGTH} characters`],
    };
  }
  return {
    ok: true,
    config: {
      port: env.PORT,
      host: env.HOST,
      apiKeys: env.CONSOLE_API_KEYS,
      databaseUrl: env.DATABASE_URL,
      databaseCaFile: env.DATABASE_CA_FILE,
      databaseRole: env.CONSOLE_DATABASE_ROLE,
      kafkaBrokers: env.KAFKA_BROKERS,
      kafkaConnection: kafkaConnection.connection,
      eventsTopic: env.EVENTS_TOPIC,
      metrics: env.METRICS_URLS.map((entry) => {
        const at = entry.indexOf('=');
        return { name: entry.slice(0, at), url: entry.slice(at + 1) };
      }),
      sampleIntervalMs: env.SAMPLE_INTERVAL_MS,
      logLevel: env.LOG_LEVEL,
    },
  };
}
