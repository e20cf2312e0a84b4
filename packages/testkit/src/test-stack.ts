import { inject } from 'vitest';

/** What the integration tests' global setup shares with every test file. */
export interface ProvidedStack {
  /** Bootstrap servers of the shared broker (or KAFKA_BROKERS). */
  kafkaBrokers: string[];
  /** Superuser connection string of the shared Postgres (or DATABASE_URL). */
  databaseUrl: string;
  /** The cached Kafka jars, when the setup started a broker; `null` with KAFKA_BROKERS. */
  kafkaLibDir: string | null;
  /** Kafka version of the shared broker, `null` with KAFKA_BROKERS. */
  kafkaVersion: string | null;
  /** This run's temp folder (removed at the end), for dedicated servers' data. */
  dataRoot: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ProvidedStack;
  }
}

/**
 * The shared stack of this test run. Only in `*.int.test.ts` files (the `integration` project,
 * whose global setup starts it).
 */
export function testStack(): ProvidedStack {
  const stack = inject('stack');
  if (!stack) {
    throw new Error(
      'No test stack: testStack() works in *.int.test.ts files run by the `integration` project ' +
        '(its globalSetup is packages/testkit/src/global-setup.ts).',
    );
  }
  return stack;
}
