import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvType, readEnv } from '@novamed-stream/service-kit';
import { Type } from '@sinclair/typebox';
import { DevstackError } from './errors.js';

/** The local stack's settings, read from the environment by {@link readDevstackEnv}. */
export interface DevstackEnv {
  /** KAFKA_BROKERS: use this cluster instead of starting a broker. */
  kafkaBrokers: string[] | undefined;
  /** DATABASE_URL: use this server instead of starting Postgres. */
  databaseUrl: string | undefined;
  /** KAFKA_PORT, default 9092. */
  kafkaPort: number;
  /** KAFKA_CONTROLLER_PORT, default 9093. */
  kafkaControllerPort: number;
  /** POSTGRES_PORT, default 54329 (not 5432, to leave a system Postgres alone). */
  postgresPort: number;
  /** TOPIC_PARTITIONS, default 6. */
  topicPartitions: number;
  /** DEVSTACK_DATA_DIR, default `<system temp>/novamed-stream/dev`. */
  dataDir: string;
}

/** The environment variables {@link readDevstackEnv} reads, with their meaning. */
export const DEVSTACK_ENV_VARS = {
  KAFKA_BROKERS: 'comma-separated host:port list of an existing Kafka cluster',
  DATABASE_URL: 'postgres:// URL of an existing Postgres server',
  KAFKA_PORT: 'port of the local Kafka broker (default 9092)',
  KAFKA_CONTROLLER_PORT: 'port of the local KRaft controller (default 9093)',
  POSTGRES_PORT: 'port of the local Postgres (default 54329)',
  TOPIC_PARTITIONS: 'partitions of novamed.events.v1 when it is created (default 6)',
  DEVSTACK_DATA_DIR: 'folder for the local Kafka and Postgres data',
} as const;

const DevstackEnvSchema = Type.Object({
  KAFKA_BROKERS: Type.Optional(EnvType.brokers()),
  DATABASE_URL: Type.Optional(
    EnvType.url(['postgres', 'postgresql'], {
      expected:
        'a postgres:// URL with a host (e.g. postgres://user:password@127.0.0.1:5432/postgres)',
    }),
  ),
  KAFKA_PORT: EnvType.port({ default: 9092 }),
  KAFKA_CONTROLLER_PORT: EnvType.port({ default: 9093 }),
  POSTGRES_PORT: EnvType.port({ default: 54_329 }),
  TOPIC_PARTITIONS: EnvType.integer(1, 1_000, { default: 6 }),
  DEVSTACK_DATA_DIR: Type.Optional(EnvType.string()),
});

/**
 * Reads and validates the local stack's environment variables. Throws one
 * {@link DevstackError} that names every variable with a bad value and says what is expected
 * (never the value: a URL may hold a password).
 */
export function readDevstackEnv(env: NodeJS.ProcessEnv = process.env): DevstackEnv {
  const read = readEnv(DevstackEnvSchema, env);
  const problems = read.ok ? [] : read.errors;
  if (read.ok) {
    const ports = [read.env.KAFKA_PORT, read.env.KAFKA_CONTROLLER_PORT, read.env.POSTGRES_PORT];
    if (new Set(ports).size !== ports.length) {
      problems.push('KAFKA_PORT, KAFKA_CONTROLLER_PORT and POSTGRES_PORT must all differ.');
    }
  }
  if (!read.ok || problems.length > 0) {
    throw new DevstackError(`Invalid environment:\n  ${problems.join('\n  ')}`, {
      hint: 'Fix or unset the variables above (unset means the default).',
    });
  }
  const values = read.env;
  return {
    kafkaBrokers: values.KAFKA_BROKERS,
    databaseUrl: values.DATABASE_URL,
    kafkaPort: values.KAFKA_PORT,
    kafkaControllerPort: values.KAFKA_CONTROLLER_PORT,
    postgresPort: values.POSTGRES_PORT,
    topicPartitions: values.TOPIC_PARTITIONS,
    dataDir: values.DEVSTACK_DATA_DIR ?? join(tmpdir(), 'novamed-stream', 'dev'),
  };
}
