import type { TestInfrastructure } from './test-infrastructure.js';
import type { TestServers } from './test-servers.js';

/** The port @testcontainers/kafka 11 maps for clients (its PLAINTEXT listener). */
const KAFKA_CLIENT_PORT = 9093;

/**
 * Whether testcontainers finds a working Docker engine (DOCKER_HOST, then the local socket).
 * testcontainers is loaded only here and in {@link startTestContainers}, so the jar path never
 * loads it.
 */
export async function isDockerReachable(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts Kafka (KRaft) and Postgres containers with testcontainers' modules, in parallel; if
 * one fails, the other is stopped before the error is rethrown. Not run in CI (no Docker engine
 * on these machines); see the README's testing section.
 */
export async function startTestContainers(
  infrastructure: Extract<TestInfrastructure, { kind: 'containers' }>,
): Promise<TestServers> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const [kafka, postgres] = await Promise.allSettled([
    new KafkaContainer(infrastructure.kafkaImage).withKraft().start(),
    new PostgreSqlContainer(infrastructure.postgresImage).start(),
  ]);
  if (kafka.status === 'rejected' || postgres.status === 'rejected') {
    await Promise.all([
      kafka.status === 'fulfilled' ? kafka.value.stop() : undefined,
      postgres.status === 'fulfilled' ? postgres.value.stop() : undefined,
    ]);
    throw kafka.status === 'rejected' ? kafka.reason : (postgres as PromiseRejectedResult).reason;
  }
  const kafkaBrokers = [`${kafka.value.getHost()}:${kafka.value.getMappedPort(KAFKA_CLIENT_PORT)}`];
  const databaseUrl = postgres.value.getConnectionUri();
  return {
    kafkaBrokers,
    databaseUrl,
    // Dedicated brokers of single test files still run from the jars (resolved on demand).
    kafkaLibDir: null,
    kafkaVersion: null,
    describe: (postgresVersion) =>
      `Kafka container ${infrastructure.kafkaImage} (KRaft) at ${kafkaBrokers.join(',')} and ` +
      `Postgres ${postgresVersion} container ${infrastructure.postgresImage} at ${new URL(databaseUrl).host}`,
    stop: async () => {
      await Promise.all([kafka.value.stop(), postgres.value.stop()]);
    },
  };
}
