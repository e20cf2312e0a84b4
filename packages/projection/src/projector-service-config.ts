import {
  DatabaseConnectionEnv,
  EnvType,
  KafkaConnectionEnv,
  requireEnv,
} from '@novamed-stream/service-kit';
import { type Static, Type } from '@sinclair/typebox';

/** Environment of a projector service, validated at boot by its `main.ts`. */
export const ProjectorServiceEnv = Type.Object({
  KAFKA_BROKERS: EnvType.brokers({ description: 'comma-separated host:port list' }),
  ...KafkaConnectionEnv,
  DATABASE_URL: EnvType.url(['postgres', 'postgresql'], {
    description: 'postgres://user:pass@host:port/db',
  }),
  ...DatabaseConnectionEnv,
  EVENTS_TOPIC: EnvType.string({ default: 'novamed.events.v1' }),
  DEAD_LETTER_TOPIC: EnvType.string({ default: 'novamed.dead-letter.v1' }),
  HEALTH_PORT: EnvType.port({ allowZero: true }),
  HEALTH_HOST: EnvType.string({ default: '0.0.0.0' }),
  PROJECTION_VERSION: Type.Optional(EnvType.integer(1, Number.MAX_SAFE_INTEGER)),
  VERSION_POLL_MS: EnvType.duration(100, 86_400_000, {
    default: 2000,
    description: 'how often to check for a new live version (ms)',
  }),
  STALL_AFTER_MS: EnvType.duration(1000, 86_400_000, { default: 60_000 }),
  KAFKA_SESSION_TIMEOUT_MS: EnvType.duration(3000, 3_600_000, { default: 30_000 }),
  FETCH_MAX_BYTES_PER_PARTITION: EnvType.integer(1024, Number.MAX_SAFE_INTEGER, {
    default: 4 * 1024 * 1024,
    description: 'largest fetch per partition, which bounds a batch (and its transaction)',
  }),
  OFFSET_COMMIT_INTERVAL_MS: EnvType.duration(0, 86_400_000, {
    default: 1000,
    description:
      'commit applied positions to Kafka after each batch (0) or coalesced every N ms in the background',
  }),
  STARTUP_TIMEOUT_MS: EnvType.duration(0, 86_400_000, {
    default: 120_000,
    description: 'how long to wait at boot for an unreachable database before exiting 1',
  }),
  LOCK_TIMEOUT_MS: EnvType.duration(0, 86_400_000, {
    default: 5000,
    description:
      'lock_timeout of a batch transaction (ms, 0: none); past it the partition retries later',
  }),
  PARTITIONS_CONCURRENTLY: EnvType.integer(1, 64, { default: 3 }),
  TOPIC_PARTITIONS: EnvType.integer(1, 10_000, { default: 6 }),
  TOPIC_REPLICATION_FACTOR: EnvType.integer(1, 10, { default: 1 }),
  LOG_LEVEL: EnvType.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
});

/** A validated projector service configuration. */
export type ProjectorServiceConfig = Static<typeof ProjectorServiceEnv>;

/**
 * Reads and validates a projector service's environment (`process.env` in its `main.ts`), with
 * that service's own default health port. Throws a `ConfigError` naming every bad variable
 * (never its value: a URL may hold a password).
 */
export function readProjectorServiceEnv(
  env: Readonly<Record<string, string | undefined>>,
  defaults: { HEALTH_PORT: number },
): ProjectorServiceConfig {
  const healthPort = env['HEALTH_PORT']?.trim() || String(defaults.HEALTH_PORT);
  return requireEnv(ProjectorServiceEnv, { ...env, HEALTH_PORT: healthPort });
}
