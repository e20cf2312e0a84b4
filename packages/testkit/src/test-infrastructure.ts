/**
 * What the integration tests' global setup starts: Apache Kafka's jars and embedded Postgres (the
 * default, and the only path run in CI: these machines have no Docker engine), or Kafka and
 * Postgres containers through testcontainers' modules, on a machine with a Docker engine.
 */
export type TestInfrastructure =
  | { kind: 'jars' }
  | {
      kind: 'containers';
      /** A confluentinc/cp-kafka image (what @testcontainers/kafka 11 runs), in KRaft mode. */
      kafkaImage: string;
      /** A postgres image. */
      postgresImage: string;
    };

/** The outcome of {@link chooseTestInfrastructure}: what to start, or why nothing can be. */
export type TestInfrastructureChoice =
  | { ok: true; infrastructure: TestInfrastructure }
  | { ok: false; error: string };

/** Confluent Platform 7.9 is Apache Kafka 3.9: KRaft, and every request kafkajs sends. */
export const DEFAULT_KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.1';
export const DEFAULT_POSTGRES_IMAGE = 'postgres:17-alpine';

/**
 * Picks the test infrastructure from TEST_INFRASTRUCTURE (`jars`, the default, or `containers`)
 * and whether a Docker engine answers. Containers only when asked AND reachable: asked but
 * unreachable is an error, never a silent fallback to the jars (a run that says it used
 * containers must have). Containers start servers of their own, so KAFKA_BROKERS and
 * DATABASE_URL (servers you already run) cannot be combined with them.
 */
export function chooseTestInfrastructure(
  env: Readonly<Record<string, string | undefined>>,
  dockerReachable: boolean,
): TestInfrastructureChoice {
  const asked = env['TEST_INFRASTRUCTURE']?.trim() || 'jars';
  switch (asked) {
    case 'jars':
      return { ok: true, infrastructure: { kind: 'jars' } };
    case 'containers': {
      const external = ['KAFKA_BROKERS', 'DATABASE_URL'].filter((name) => env[name]?.trim());
      if (external.length > 0) {
        return {
          ok: false,
          error: `TEST_INFRASTRUCTURE=containers starts its own Kafka and Postgres: unset ${external.join(' and ')}.`,
        };
      }
      if (!dockerReachable) {
        return {
          ok: false,
          error:
            'TEST_INFRASTRUCTURE=containers, but no Docker engine answers (testcontainers looks at ' +
            'DOCKER_HOST, then the local socket). Start Docker, or unset TEST_INFRASTRUCTURE to ' +
            "use Apache Kafka's jars and embedded Postgres.",
        };
      }
      return {
        ok: true,
        infrastructure: {
          kind: 'containers',
          kafkaImage: env['TEST_KAFKA_IMAGE']?.trim() || DEFAULT_KAFKA_IMAGE,
          postgresImage: env['TEST_POSTGRES_IMAGE']?.trim() || DEFAULT_POSTGRES_IMAGE,
        },
      };
    }
    default:
      return {
        ok: false,
        error: 'TEST_INFRASTRUCTURE must be `jars` (the default) or `containers`.',
      };
  }
}
