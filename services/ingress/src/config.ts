import { EVENTS_TOPIC, QUARANTINE_TOPIC } from '@novamed-stream/events';
import {
  EnvType,
  type KafkaConnection,
  KafkaConnectionEnv,
  type ReadTextFile,
  readEnv,
  resolveKafkaConnection,
} from '@novamed-stream/service-kit';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const int = (minimum: number, maximum: number, fallback: number, description: string) =>
  EnvType.integer(minimum, maximum, { default: fallback, description });
const TOPIC_NAME = '^[A-Za-z0-9._-]{1,249}$';

/** Shortest accepted webhook key: shorter secrets are guessable. */
export const MIN_API_KEY_LENGTH = 16;

/**
 * The environment variables of the ingress, with their rules and defaults. `main.ts` validates
 * `process.env` against it at boot; README.md documents the same list.
 */
export const EnvSchema = Type.Object({
  PORT: EnvType.port({ allowZero: true, default: 8080, description: 'TCP port to listen on' }),
  HOST: EnvType.string({ default: '0.0.0.0', description: 'interface to bind' }),
  WEBHOOK_PATH: EnvType.string({
    pattern: '^/[A-Za-z0-9._~/-]*$',
    default: '/webhooks/novamed',
    description: 'path of the webhook route',
  }),
  WEBHOOK_API_KEYS: EnvType.list(Type.String({ minLength: 1 }), {
    description: `comma-separated accepted x-api-key values (each >= ${MIN_API_KEY_LENGTH} chars)`,
  }),
  KAFKA_BROKERS: EnvType.brokers({ description: 'comma-separated host:port list' }),
  KAFKA_CLIENT_ID: EnvType.string({ default: 'novamed-ingress' }),
  ...KafkaConnectionEnv,
  EVENTS_TOPIC: EnvType.string({ pattern: TOPIC_NAME, default: EVENTS_TOPIC }),
  QUARANTINE_TOPIC: EnvType.string({ pattern: TOPIC_NAME, default: QUARANTINE_TOPIC }),
  TOPIC_PARTITIONS: int(1, 10_000, 6, 'partitions when the topics are created'),
  TOPIC_REPLICATION_FACTOR: int(1, 10, 1, 'replication factor when the topics are created'),
  BODY_LIMIT_BYTES: int(1024, 10 * 1024 * 1024, 256 * 1024, 'largest accepted body'),
  APPEND_DEADLINE_MS: int(100, 4500, 3000, 'longest wait for the Kafka ack before a 503'),
  LINGER_MS: int(0, 1000, 2, 'how long a micro-batch waits for more events'),
  MAX_BATCH_MESSAGES: int(1, 10_000, 500, 'records per produce request'),
  MAX_BATCH_BYTES: int(16 * 1024, 64 * 1024 * 1024, 900 * 1024, 'bytes per produce request'),
  MAX_PENDING: int(1, 1_000_000, 5000, 'queued + in-flight events before 503 OVERLOADED'),
  MAX_PENDING_BYTES: int(1024 * 1024, 4 * 1024 * 1024 * 1024, 64 * 1024 * 1024, 'same, in bytes'),
  MAX_EVENT_LOOP_DELAY_MS: int(0, 60_000, 1000, 'event loop delay before 503 (0 = off)'),
  MAX_HEAP_USED_BYTES: int(0, Number.MAX_SAFE_INTEGER, 0, 'heap use before 503 (0 = off)'),
  RETRY_AFTER_SECONDS: int(1, 3600, 5, 'Retry-After on 503 answers'),
  CONNECTION_TIMEOUT_MS: int(0, 600_000, 10_000, 'idle socket timeout'),
  REQUEST_TIMEOUT_MS: int(0, 600_000, 10_000, 'time to receive a whole request'),
  KEEP_ALIVE_TIMEOUT_MS: int(0, 600_000, 72_000, 'keep-alive idle timeout'),
  SHUTDOWN_TIMEOUT_MS: int(1000, 600_000, 8000, 'longest graceful shutdown before exit 1'),
  LOG_LEVEL: EnvType.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
  TLS_CERT_FILE: Type.Optional(EnvType.string()),
  TLS_KEY_FILE: Type.Optional(EnvType.string()),
});

/** The validated environment (defaults applied). */
export type Env = Static<typeof EnvSchema>;

/** Topic names and the shape the ingress creates them with. */
export interface TopicsConfig {
  events: string;
  quarantine: string;
  partitions: number;
  replicationFactor: number;
}

/** Body, deadline, batching and overload limits. */
export interface IngressLimits {
  bodyLimitBytes: number;
  appendDeadlineMs: number;
  lingerMs: number;
  maxBatchMessages: number;
  maxBatchBytes: number;
  maxPending: number;
  maxPendingBytes: number;
  /** 0 disables the check. */
  maxEventLoopDelayMs: number;
  /** 0 disables the check. */
  maxHeapUsedBytes: number;
}

/** Node HTTP server timeouts, in ms. */
export interface HttpTimeouts {
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** Everything the ingress process needs, derived from the environment. */
export interface IngressConfig {
  port: number;
  host: string;
  webhookPath: string;
  apiKeys: string[];
  kafkaBrokers: string[];
  kafkaClientId: string;
  /** TLS and SASL of the Kafka connections (files already read). */
  kafkaConnection: KafkaConnection;
  topics: TopicsConfig;
  limits: IngressLimits;
  http: HttpTimeouts;
  retryAfterSeconds: number;
  shutdownTimeoutMs: number;
  logLevel: string;
  tls: { certFile: string; keyFile: string } | undefined;
}

/** Outcome of {@link loadConfig}; each error names the variable and never echoes its value. */
export type ConfigResult = { ok: true; config: IngressConfig } | { ok: false; errors: string[] };

/**
 * Validates an environment (usually `process.env`) against {@link EnvSchema} and derives the
 * configuration. Empty values count as unset. Errors name the variable and the rule, never the
 * value (it may be a secret).
 */
export function loadConfig(
  environment: Record<string, string | undefined>,
  readFile?: ReadTextFile,
): ConfigResult {
  const read = readEnv(EnvSchema, environment);
  if (!read.ok) return read;
  const { env } = read;
  const errors: string[] = [];
  const kafkaConnection = resolveKafkaConnection(env, readFile);
  if (!kafkaConnection.ok) errors.push(...kafkaConnection.errors);
  const apiKeys = env.WEBHOOK_API_KEYS;
  if (apiKeys.some((key) => key.length < MIN_API_KEY_LENGTH)) {
    errors.push(`WEBHOOK_API_KEYS: every key must be at least ${MIN_API_KEY_LENGTH} characters`);
  }
  if ((env.TLS_CERT_FILE === undefined) !== (env.TLS_KEY_FILE === undefined)) {
    errors.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  if (env.EVENTS_TOPIC === env.QUARANTINE_TOPIC) {
    errors.push('QUARANTINE_TOPIC must differ from EVENTS_TOPIC');
  }
  if (env.MAX_BATCH_BYTES < env.BODY_LIMIT_BYTES + 1024) {
    errors.push('MAX_BATCH_BYTES must exceed BODY_LIMIT_BYTES (one event must fit a batch)');
  }
  if (errors.length > 0 || !kafkaConnection.ok) return { ok: false, errors };

  return {
    ok: true,
    config: {
      port: env.PORT,
      host: env.HOST,
      webhookPath: env.WEBHOOK_PATH,
      apiKeys,
      kafkaBrokers: env.KAFKA_BROKERS,
      kafkaClientId: env.KAFKA_CLIENT_ID,
      kafkaConnection: kafkaConnection.connection,
      topics: {
        events: env.EVENTS_TOPIC,
        quarantine: env.QUARANTINE_TOPIC,
        partitions: env.TOPIC_PARTITIONS,
        replicationFactor: env.TOPIC_REPLICATION_FACTOR,
      },
      limits: limitsOf(env),
      http: httpTimeoutsOf(env),
      retryAfterSeconds: env.RETRY_AFTER_SECONDS,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      logLevel: env.LOG_LEVEL,
      tls:
        env.TLS_CERT_FILE !== undefined && env.TLS_KEY_FILE !== undefined
          ? { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE }
          : undefined,
    },
  };
}

type Defaults = Omit<Env, 'WEBHOOK_API_KEYS' | 'KAFKA_BROKERS'>;
const DEFAULT_ENV = Value.Default(EnvSchema, {}) as Defaults;

/** The limits an environment sets. */
function limitsOf(env: Defaults): IngressLimits {
  return {
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    appendDeadlineMs: env.APPEND_DEADLINE_MS,
    lingerMs: env.LINGER_MS,
    maxBatchMessages: env.MAX_BATCH_MESSAGES,
    maxBatchBytes: env.MAX_BATCH_BYTES,
    maxPending: env.MAX_PENDING,
    maxPendingBytes: env.MAX_PENDING_BYTES,
    maxEventLoopDelayMs: env.MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: env.MAX_HEAP_USED_BYTES,
  };
}

/** The HTTP timeouts an environment sets. */
function httpTimeoutsOf(env: Defaults): HttpTimeouts {
  return {
    connectionTimeoutMs: env.CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_MS,
  };
}

/** Default limits (the environment defaults), for `buildApp` callers that set none. */
export const DEFAULT_LIMITS: IngressLimits = limitsOf(DEFAULT_ENV);

/** Default HTTP server timeouts. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = httpTimeoutsOf(DEFAULT_ENV);

/** Default topic names and shape. */
export const DEFAULT_TOPICS: TopicsConfig = {
  events: DEFAULT_ENV.EVENTS_TOPIC,
  quarantine: DEFAULT_ENV.QUARANTINE_TOPIC,
  partitions: DEFAULT_ENV.TOPIC_PARTITIONS,
  replicationFactor: DEFAULT_ENV.TOPIC_REPLICATION_FACTOR,
};

/** Default webhook path and Retry-After. */
export const DEFAULT_WEBHOOK_PATH: string = DEFAULT_ENV.WEBHOOK_PATH;
export const DEFAULT_RETRY_AFTER_SECONDS: number = DEFAULT_ENV.RETRY_AFTER_SECONDS;
