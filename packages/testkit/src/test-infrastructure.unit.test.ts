import { describe, expect, it } from 'vitest';
import {
  chooseTestInfrastructure,
  DEFAULT_KAFKA_IMAGE,
  DEFAULT_POSTGRES_IMAGE,
} from './test-infrastructure.js';

describe('chooseTestInfrastructure', () => {
  it('runs the jars unless containers are asked for, Docker or not', () => {
    const jars = { ok: true, infrastructure: { kind: 'jars' } };
    expect(chooseTestInfrastructure({}, true)).toEqual(jars);
    expect(chooseTestInfrastructure({}, false)).toEqual(jars);
    expect(chooseTestInfrastructure({ TEST_INFRASTRUCTURE: 'jars' }, true)).toEqual(jars);
    expect(chooseTestInfrastructure({ TEST_INFRASTRUCTURE: ' ' }, true)).toEqual(jars);
  });

  it('starts containers when asked and a Docker engine answers, with images that can be changed', () => {
    expect(chooseTestInfrastructure({ TEST_INFRASTRUCTURE: 'containers' }, true)).toEqual({
      ok: true,
      infrastructure: {
        kind: 'containers',
        kafkaImage: DEFAULT_KAFKA_IMAGE,
        postgresImage: DEFAULT_POSTGRES_IMAGE,
      },
    });
    expect(
      chooseTestInfrastructure(
        {
          TEST_INFRASTRUCTURE: 'containers',
          TEST_KAFKA_IMAGE: 'confluentinc/cp-kafka:8.0.0',
          TEST_POSTGRES_IMAGE: 'postgres:16',
        },
        true,
      ),
    ).toMatchObject({
      infrastructure: { kafkaImage: 'confluentinc/cp-kafka:8.0.0', postgresImage: 'postgres:16' },
    });
  });

  it('is an error, not a fallback to the jars, when containers are asked for and Docker is unreachable', () => {
    const choice = chooseTestInfrastructure({ TEST_INFRASTRUCTURE: 'containers' }, false);
    expect(choice).toMatchObject({ ok: false });
    expect(choice.ok ? '' : choice.error).toMatch(
      /^TEST_INFRASTRUCTURE=containers, but no Docker engine answers/,
    );
  });

  it('refuses containers next to servers of your own, and names a bad value', () => {
    const withServers = chooseTestInfrastructure(
      {
        TEST_INFRASTRUCTURE: 'containers',
        KAFKA_BROKERS: '127.0.0.1:9092',
        DATABASE_URL: 'postgres://u:secret@127.0.0.1/db',
      },
      true,
    );
    expect(withServers).toEqual({
      ok: false,
      error:
        'TEST_INFRASTRUCTURE=containers starts its own Kafka and Postgres: unset KAFKA_BROKERS and DATABASE_URL.',
    });
    expect(chooseTestInfrastructure({ TEST_INFRASTRUCTURE: 'docker' }, true)).toEqual({
      ok: false,
      error: 'TEST_INFRASTRUCTURE must be `jars` (the default) or `containers`.',
    });
  });
});
