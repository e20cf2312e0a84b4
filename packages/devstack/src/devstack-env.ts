import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * Reads and validates the local stack's environment variables. Throws one
 * {@link DevstackError} that names every variable with a bad value and says what is expected.
 */
export function readDevstackEnv(env: NodeJS.ProcessEnv = process.env): DevstackEnv {
  const problems: string[] = [];
  const port = (name: keyof typeof DEVSTACK_ENV_VARS, fallback: number): number =>
    integer(env, name, fallback, 1, 65_535, problems);

  const result: DevstackEnv = {
    kafkaBrokers: brokerList(env, problems),
    databaseUrl: databaseUrl(env, problems),
    kafkaPort: port('KAFKA_PORT', 9092),
    kafkaControllerPort: port('KAFKA_CONTROLLER_PORT', 9093),
    postgresPort: port('POSTGRES_PORT', 54_329),
    topicPartitions: integer(env, 'TOPIC_PARTITIONS', 6, 1, 1_000, problems),
    dataDir: nonEmpty(env['DEVSTACK_DATA_DIR']) ?? join(tmpdir(), 'novamed-stream', 'dev'),
  };
  const ports = [result.kafkaPort, result.kafkaControllerPort, result.postgresPort];
  if (problems.length === 0 && new Set(ports).size !== ports.length) {
    problems.push(
      `KAFKA_PORT (${result.kafkaPort}), KAFKA_CONTROLLER_PORT (${result.kafkaControllerPort}) ` +
        `and POSTGRES_PORT (${result.postgresPort}) must all differ.`,
    );
  }
  if (problems.length > 0) {
    throw new DevstackError(`Invalid environment:\n  ${problems.join('\n  ')}`, {
      hint: 'Fix or unset the variables above (unset means the default).',
    });
  }
  return result;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    problems.push(`${name}=${JSON.stringify(env[name])} must be an integer from ${min} to ${max}.`);
    return fallback;
  }
  return value;
}

function brokerList(env: NodeJS.ProcessEnv, problems: string[]): string[] | undefined {
  const raw = nonEmpty(env['KAFKA_BROKERS']);
  if (raw === undefined) return undefined;
  const brokers = raw
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  const bad = brokers.filter((broker) => !/^[^\s:/]+:\d{1,5}$/.test(broker));
  if (brokers.length === 0 || bad.length > 0) {
    problems.push(
      `KAFKA_BROKERS=${JSON.stringify(env['KAFKA_BROKERS'])} must be a comma-separated list of ` +
        'host:port (e.g. 127.0.0.1:9092,127.0.0.1:9094).',
    );
    return undefined;
  }
  return brokers;
}

function databaseUrl(env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  const raw = nonEmpty(env['DATABASE_URL']);
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol) || !url.hostname) {
    problems.push(
      'DATABASE_URL must be a postgres:// URL with a host ' +
        '(e.g. postgres://user:password@127.0.0.1:5432/postgres).',
    );
    return undefined;
  }
  return raw;
}
