import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvType, readEnv } from '@novamed-stream/service-kit';
import { Type } from '@sinclair/typebox';
import { DevstackError } from './errors.js';
import type { KafkaNodePorts } from './kafka-cluster.js';
import { replicationForBrokers } from './replication-for-brokers.js';
import { STACK_SECURITY_KINDS, type StackSecurityKind } from './stack-security.js';

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
  /**
   * KAFKA_BROKER_COUNT, default 1: local KRaft nodes. Node `n` (1-based) listens on
   * `kafkaPort + 100 * (n - 1)` and `kafkaControllerPort + 100 * (n - 1)`.
   */
  kafkaBrokerCount: number;
  /** TOPIC_REPLICATION_FACTOR, default: the broker count, at most 3. */
  topicReplicationFactor: number;
  /** TOPIC_MIN_INSYNC_REPLICAS, default 2 with 3+ brokers, else 1. */
  topicMinInsyncReplicas: number;
  /** DEVSTACK_DATA_DIR, default `<system temp>/novamed-stream/dev`. */
  dataDir: string;
  /**
   * DEVSTACK_SECURITY, default `plaintext`. `sasl_ssl`: the local Kafka serves clients on a
   * SASL_SSL listener (SCRAM-SHA-512) and Postgres on TLS only; see `StackSecurity` in stack-security.ts.
   */
  security: StackSecurityKind;
}

/** The environment variables {@link readDevstackEnv} reads, with their meaning. */
export const DEVSTACK_ENV_VARS = {
  KAFKA_BROKERS: 'comma-separated host:port list of an existing Kafka cluster',
  DATABASE_URL: 'postgres:// URL of an existing Postgres server',
  KAFKA_PORT: 'port of the local Kafka broker (default 9092)',
  KAFKA_CONTROLLER_PORT: 'port of the local KRaft controller (default 9093)',
  POSTGRES_PORT: 'port of the local Postgres (default 54329)',
  TOPIC_PARTITIONS: 'partitions of novamed.events.v1 when it is created (default 6)',
  KAFKA_BROKER_COUNT:
    'local Kafka nodes (default 1); node n uses KAFKA_PORT and KAFKA_CONTROLLER_PORT + 100*(n-1)',
  TOPIC_REPLICATION_FACTOR: 'replication factor of new topics (default: broker count, at most 3)',
  TOPIC_MIN_INSYNC_REPLICAS:
    'min.insync.replicas of new topics (default 2 with 3+ brokers, else 1)',
  DEVSTACK_DATA_DIR: 'folder for the local Kafka and Postgres data',
  DEVSTACK_SECURITY:
    'plaintext (default) or sasl_ssl: local Kafka over SASL_SSL (SCRAM-SHA-512) and Postgres over TLS only',
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
  KAFKA_BROKER_COUNT: EnvType.integer(1, 9, { default: 1 }),
  TOPIC_REPLICATION_FACTOR: Type.Optional(EnvType.integer(1, 9)),
  TOPIC_MIN_INSYNC_REPLICAS: Type.Optional(EnvType.integer(1, 9)),
  DEVSTACK_DATA_DIR: Type.Optional(EnvType.string()),
  DEVSTACK_SECURITY: EnvType.oneOf<StackSecurityKind>(STACK_SECURITY_KINDS, {
    default: 'plaintext',
  }),
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
    const { KAFKA_BROKER_COUNT: count, KAFKA_PORT: port, KAFKA_CONTROLLER_PORT: cport } = read.env;
    const ports = [
      ...kafkaNodePorts(count, port, cport).flatMap((node) => [node.port, node.controllerPort]),
      read.env.POSTGRES_PORT,
    ];
    if (new Set(ports).size !== ports.length) {
      problems.push(
        'KAFKA_PORT, KAFKA_CONTROLLER_PORT and POSTGRES_PORT must all differ (with ' +
          "KAFKA_BROKER_COUNT > 1, also from the other nodes' ports, 100 apart).",
      );
    }
    if (ports.some((p) => p > 65_535)) {
      problems.push('KAFKA_PORT and KAFKA_CONTROLLER_PORT leave no room for every node.');
    }
    const replicationFactor = read.env.TOPIC_REPLICATION_FACTOR;
    if (replicationFactor !== undefined && replicationFactor > count) {
      problems.push('TOPIC_REPLICATION_FACTOR must not exceed KAFKA_BROKER_COUNT.');
    }
    const minIsr = read.env.TOPIC_MIN_INSYNC_REPLICAS;
    const effectiveRf = replicationFactor ?? replicationForBrokers(count).replicationFactor;
    if (minIsr !== undefined && minIsr > effectiveRf) {
      problems.push('TOPIC_MIN_INSYNC_REPLICAS must not exceed the replication factor.');
    }
    if (read.env.DEVSTACK_SECURITY === 'sasl_ssl') {
      const external = [
        ...(read.env.KAFKA_BROKERS ? ['KAFKA_BROKERS'] : []),
        ...(read.env.DATABASE_URL ? ['DATABASE_URL'] : []),
      ];
      if (external.length > 0) {
        problems.push(
          `DEVSTACK_SECURITY=sasl_ssl secures the local Kafka and Postgres: unset ${external.join(' and ')} ` +
            '(or unset DEVSTACK_SECURITY to use your own servers).',
        );
      }
    }
  }
  if (!read.ok || problems.length > 0) {
    throw new DevstackError(`Invalid environment:\n  ${problems.join('\n  ')}`, {
      hint: 'Fix or unset the variables above (unset means the default).',
    });
  }
  const values = read.env;
  const defaults = replicationForBrokers(values.KAFKA_BROKER_COUNT);
  return {
    kafkaBrokers: values.KAFKA_BROKERS,
    databaseUrl: values.DATABASE_URL,
    kafkaPort: values.KAFKA_PORT,
    kafkaControllerPort: values.KAFKA_CONTROLLER_PORT,
    postgresPort: values.POSTGRES_PORT,
    topicPartitions: values.TOPIC_PARTITIONS,
    kafkaBrokerCount: values.KAFKA_BROKER_COUNT,
    topicReplicationFactor: values.TOPIC_REPLICATION_FACTOR ?? defaults.replicationFactor,
    topicMinInsyncReplicas: values.TOPIC_MIN_INSYNC_REPLICAS ?? defaults.minInsyncReplicas,
    dataDir: values.DEVSTACK_DATA_DIR ?? join(tmpdir(), 'novamed-stream', 'dev'),
    security: values.DEVSTACK_SECURITY,
  };
}

/**
 * The ports of `count` local Kafka nodes: node `n` (1-based) on `port + 100 * (n - 1)` and
 * `controllerPort + 100 * (n - 1)`, so 9092/9093, 9192/9193, 9292/9293 by default.
 */
export function kafkaNodePorts(
  count: number,
  port: number,
  controllerPort: number,
): KafkaNodePorts[] {
  return Array.from({ length: count }, (_, index) => ({
    port: port + 100 * index,
    controllerPort: controllerPort + 100 * index,
  }));
}
