import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Environment of a projector service, validated at boot. */
export const ProjectorServiceEnv = Type.Object({
  KAFKA_BROKERS: Type.String({ minLength: 1, description: 'comma-separated host:port list' }),
  DATABASE_URL: Type.String({
    pattern: '^postgres(ql)?://',
    description: 'postgres://user:pass@host:port/db',
  }),
  EVENTS_TOPIC: Type.String({ minLength: 1, default: 'novamed.events.v1' }),
  DEAD_LETTER_TOPIC: Type.String({ minLength: 1, default: 'novamed.dead-letter.v1' }),
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535 }),
  HEALTH_HOST: Type.String({ default: '0.0.0.0' }),
  PROJECTION_VERSION: Type.Optional(Type.Integer({ minimum: 1 })),
  VERSION_POLL_MS: Type.Integer({
    minimum: 100,
    default: 2000,
    description: 'how often to check for a new live version (ms)',
  }),
  STALL_AFTER_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  KAFKA_SESSION_TIMEOUT_MS: Type.Integer({ minimum: 3000, default: 30_000 }),
  FETCH_MAX_BYTES_PER_PARTITION: Type.Integer({
    minimum: 1024,
    default: 4 * 1024 * 1024,
    description: 'largest fetch per partition, which bounds a batch (and its transaction)',
  }),
  OFFSET_COMMIT_INTERVAL_MS: Type.Integer({
    minimum: 0,
    default: 0,
    description:
      'commit applied positions to Kafka after each batch (0) or coalesced every N ms in the background',
  }),
  STARTUP_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 120_000,
    description: 'how long to wait at boot for an unreachable database before exiting 1',
  }),
  LOCK_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 5000,
    description:
      'lock_timeout of a batch transaction (ms, 0: none); past it the partition retries later',
  }),
  PARTITIONS_CONCURRENTLY: Type.Integer({ minimum: 1, maximum: 64, default: 3 }),
  TOPIC_PARTITIONS: Type.Integer({ minimum: 1, default: 6 }),
  TOPIC_REPLICATION_FACTOR: Type.Integer({ minimum: 1, default: 1 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

/** A validated projector service configuration. */
export type ProjectorServiceConfig = Static<typeof ProjectorServiceEnv>;

/**
 * Reads and validates the service's environment. Throws an error naming every bad variable
 * (never its value: a URL may hold a password).
 */
export function readProjectorServiceEnv(
  env: Record<string, string | undefined>,
  defaults: { HEALTH_PORT: number },
): ProjectorServiceConfig {
  const raw: Record<string, unknown> = { HEALTH_PORT: String(defaults.HEALTH_PORT) };
  for (const key of Object.keys(ProjectorServiceEnv.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Convert(ProjectorServiceEnv, Value.Default(ProjectorServiceEnv, raw));
  const errors = [...Value.Errors(ProjectorServiceEnv, converted)];
  if (errors.length > 0) {
    const names = [...new Set(errors.map((e) => e.path.slice(1) || '(root)'))];
    throw new Error(
      `invalid environment: ${names
        .map(
          (n) =>
            `${n} ${n in raw ? 'is invalid' : 'is required'} (${(ProjectorServiceEnv.properties as Record<string, { description?: string }>)[n]?.description ?? 'see README'})`,
        )
        .join('; ')}`,
    );
  }
  return converted as ProjectorServiceConfig;
}
