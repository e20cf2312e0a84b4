import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDevstackEnv } from './devstack-env.js';
import { DevstackError } from './errors.js';

function errorOf(run: () => unknown): DevstackError {
  try {
    run();
  } catch (error) {
    if (error instanceof DevstackError) return error;
    throw error;
  }
  throw new Error('expected a DevstackError');
}

describe('readDevstackEnv', () => {
  it('uses the documented defaults for an empty environment', () => {
    expect(readDevstackEnv({})).toEqual({
      kafkaBrokers: undefined,
      databaseUrl: undefined,
      kafkaPort: 9092,
      kafkaControllerPort: 9093,
      postgresPort: 54_329,
      topicPartitions: 6,
      kafkaBrokerCount: 1,
      topicReplicationFactor: 1,
      topicMinInsyncReplicas: 1,
      dataDir: join(tmpdir(), 'novamed-stream', 'dev'),
      security: 'plaintext',
    });
  });

  it('reads DEVSTACK_SECURITY, names a bad value, and refuses sasl_ssl with servers of your own', () => {
    expect(readDevstackEnv({ DEVSTACK_SECURITY: 'sasl_ssl' }).security).toBe('sasl_ssl');
    expect(errorOf(() => readDevstackEnv({ DEVSTACK_SECURITY: 'tls' })).message).toContain(
      'DEVSTACK_SECURITY',
    );
    const external = errorOf(() =>
      readDevstackEnv({
        DEVSTACK_SECURITY: 'sasl_ssl',
        KAFKA_BROKERS: '10.0.0.1:9092',
        DATABASE_URL: 'postgres://u:secret@db.example:5432/x',
      }),
    );
    expect(external.message).toContain(
      'DEVSTACK_SECURITY=sasl_ssl secures the local Kafka and Postgres: unset KAFKA_BROKERS and DATABASE_URL',
    );
    expect(external.message).not.toContain('secret');
  });

  it('defaults three brokers to RF 3 and min ISR 2, and lets both be set', () => {
    expect(readDevstackEnv({ KAFKA_BROKER_COUNT: '3' })).toMatchObject({
      kafkaBrokerCount: 3,
      topicReplicationFactor: 3,
      topicMinInsyncReplicas: 2,
    });
    expect(
      readDevstackEnv({
        KAFKA_BROKER_COUNT: '3',
        TOPIC_REPLICATION_FACTOR: '2',
        TOPIC_MIN_INSYNC_REPLICAS: '1',
      }),
    ).toMatchObject({ topicReplicationFactor: 2, topicMinInsyncReplicas: 1 });
  });

  it('refuses a replication factor above the broker count and min ISR above it', () => {
    expect(errorOf(() => readDevstackEnv({ TOPIC_REPLICATION_FACTOR: '3' })).message).toMatch(
      /TOPIC_REPLICATION_FACTOR must not exceed KAFKA_BROKER_COUNT/,
    );
    expect(
      errorOf(() => readDevstackEnv({ KAFKA_BROKER_COUNT: '3', TOPIC_MIN_INSYNC_REPLICAS: '4' }))
        .message,
    ).toMatch(/TOPIC_MIN_INSYNC_REPLICAS must not exceed/);
  });

  it('refuses node ports that collide with Postgres', () => {
    expect(
      errorOf(() =>
        readDevstackEnv({ KAFKA_BROKER_COUNT: '3', KAFKA_PORT: '9000', POSTGRES_PORT: '9200' }),
      ).message,
    ).toMatch(/must all differ/);
  });

  it('reads every variable', () => {
    const env = readDevstackEnv({
      KAFKA_BROKERS: ' kafka-1:9092, kafka-2:9094 ',
      DATABASE_URL: 'postgresql://app:secret@db.internal:5432/novamed',
      KAFKA_PORT: '19092',
      KAFKA_CONTROLLER_PORT: '19093',
      POSTGRES_PORT: '15432',
      TOPIC_PARTITIONS: '12',
      KAFKA_BROKER_COUNT: '3',
      TOPIC_REPLICATION_FACTOR: '3',
      TOPIC_MIN_INSYNC_REPLICAS: '3',
      DEVSTACK_DATA_DIR: '/var/tmp/stack',
    });
    expect(env).toEqual({
      kafkaBrokers: ['kafka-1:9092', 'kafka-2:9094'],
      databaseUrl: 'postgresql://app:secret@db.internal:5432/novamed',
      kafkaPort: 19_092,
      kafkaControllerPort: 19_093,
      postgresPort: 15_432,
      topicPartitions: 12,
      kafkaBrokerCount: 3,
      topicReplicationFactor: 3,
      topicMinInsyncReplicas: 3,
      dataDir: '/var/tmp/stack',
      security: 'plaintext',
    });
  });

  it('treats empty values as unset', () => {
    expect(readDevstackEnv({ KAFKA_PORT: '', KAFKA_BROKERS: '  ' })).toMatchObject({
      kafkaPort: 9092,
      kafkaBrokers: undefined,
    });
  });

  it.each([
    ['KAFKA_PORT', 'abc'],
    ['KAFKA_PORT', '0'],
    ['POSTGRES_PORT', '65536'],
    ['KAFKA_CONTROLLER_PORT', '90.5'],
    ['TOPIC_PARTITIONS', '0'],
    ['TOPIC_PARTITIONS', '-3'],
  ])('names %s when it is %j', (name, value) => {
    const error = errorOf(() => readDevstackEnv({ [name]: value }));
    // Named with what it must be, and (since the service kit) without echoing the value.
    expect(error.message).toContain(`${name} must be`);
    expect(error.message).not.toContain(JSON.stringify(value));
  });

  it('reports every bad variable at once', () => {
    const error = errorOf(() => readDevstackEnv({ KAFKA_PORT: 'x', POSTGRES_PORT: 'y' }));
    expect(error.message).toContain('KAFKA_PORT');
    expect(error.message).toContain('POSTGRES_PORT');
    expect(error.hint).not.toBe('');
  });

  it.each(['localhost', 'kafka:', 'http://kafka:9092', ',', 'kafka:9092,broken'])(
    'rejects KAFKA_BROKERS=%j',
    (value) => {
      expect(errorOf(() => readDevstackEnv({ KAFKA_BROKERS: value })).message).toContain(
        'KAFKA_BROKERS',
      );
    },
  );

  it.each(['localhost:5432', 'mysql://db:3306/x', 'postgres://'])(
    'rejects DATABASE_URL=%j without echoing it',
    (value) => {
      const error = errorOf(() => readDevstackEnv({ DATABASE_URL: value }));
      expect(error.message).toContain('DATABASE_URL must be a postgres:// URL');
    },
  );

  it('does not print a DATABASE_URL password', () => {
    const error = errorOf(() => readDevstackEnv({ DATABASE_URL: 'mysql://u:hunter2@db/x' }));
    expect(error.message).not.toContain('hunter2');
  });

  it('rejects ports that collide', () => {
    const error = errorOf(() => readDevstackEnv({ KAFKA_PORT: '54329' }));
    expect(error.message).toContain('must all differ');
  });
});
