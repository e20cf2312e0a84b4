import { readDevstackEnv, startStack } from '@novamed-stream/devstack';
import { startTestContainers } from './test-containers.js';
import type { TestInfrastructure } from './test-infrastructure.js';

/** The Kafka and Postgres a test run uses, whichever infrastructure started them. */
export interface TestServers {
  /** Bootstrap servers. */
  kafkaBrokers: string[];
  /** Superuser connection string. */
  databaseUrl: string;
  /** The cached Kafka jars, when a broker runs from them; `null` otherwise. */
  kafkaLibDir: string | null;
  /** Kafka version of a broker run from the jars; `null` otherwise. */
  kafkaVersion: string | null;
  /** The run's first line: what runs where (given the Postgres server's version). */
  describe(postgresVersion: string): string;
  /** Stops what was started (servers named by KAFKA_BROKERS / DATABASE_URL are left alone). */
  stop(): Promise<void>;
}

/** Starts the servers of `infrastructure`; the jars' data goes in `dataRoot`. */
export function startTestServers(
  infrastructure: TestInfrastructure,
  dataRoot: string,
): Promise<TestServers> {
  switch (infrastructure.kind) {
    case 'jars':
      return startJarServers(dataRoot);
    case 'containers':
      return startTestContainers(infrastructure);
    default:
      return assertNever(infrastructure);
  }
}

/** Apache Kafka's jars and embedded Postgres (or KAFKA_BROKERS / DATABASE_URL), on free ports. */
async function startJarServers(dataRoot: string): Promise<TestServers> {
  const env = readDevstackEnv(process.env);
  const stack = await startStack({
    dataDir: dataRoot,
    kafkaBrokers: env.kafkaBrokers,
    databaseUrl: env.databaseUrl,
    kafkaHeap: { initial: '256m', max: '768m' },
    log: (line) => console.log(`[testkit] ${line}`),
  });
  return {
    kafkaBrokers: stack.kafkaBrokers,
    databaseUrl: stack.databaseUrl,
    kafkaLibDir: stack.kafkaLibDir ?? null,
    kafkaVersion: stack.kafka?.version ?? null,
    describe: (postgresVersion) => {
      const brokers = stack.kafkaBrokers.join(',');
      const kafka = stack.kafka
        ? `real Kafka ${stack.kafka.version} (KRaft, pid ${stack.kafka.pid}) at ${brokers}`
        : `Kafka at ${brokers} (KAFKA_BROKERS)`;
      const postgres = stack.postgres
        ? `real Postgres ${postgresVersion} (pid ${stack.postgres.pid}) at ${new URL(stack.databaseUrl).host}`
        : `Postgres ${postgresVersion} (DATABASE_URL)`;
      return `${kafka} and ${postgres}`;
    },
    stop: () => stack.stop(),
  };
}

function assertNever(value: never): never {
  throw new Error(`unknown test infrastructure ${JSON.stringify(value)}`);
}
