import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDevstackEnv, startStack } from '@novamed-stream/devstack';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { killProcessesUsing } from './leftover-processes.js';
import type { ProvidedStack } from './test-stack.js';

/**
 * Vitest global setup of the `integration` project: starts ONE real Kafka broker and ONE real
 * Postgres for the whole run (free ports, fresh data in a temp folder), unless KAFKA_BROKERS /
 * DATABASE_URL name existing ones, and provides them to the test files as `inject('stack')`
 * (see `testStack()`). The returned teardown stops both and deletes the data.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const env = readDevstackEnv(process.env);
  const parent = join(tmpdir(), 'novamed-stream');
  await mkdir(parent, { recursive: true });
  const dataRoot = await mkdtemp(join(parent, 'test-'));
  // mkdtemp makes 0700 folders; as root, Postgres runs as `postgres` and must traverse them.
  await chmod(dataRoot, 0o755);

  const stack = await startStack({
    dataDir: dataRoot,
    kafkaBrokers: env.kafkaBrokers,
    databaseUrl: env.databaseUrl,
    kafkaHeap: { initial: '256m', max: '768m' },
    log: (line) => console.log(`[testkit] ${line}`),
  }).catch(async (error: unknown) => {
    await rm(dataRoot, { recursive: true, force: true });
    throw error;
  });

  const teardown = async () => {
    await stack.stop();
    // Dedicated servers of a test file that crashed before its afterAll.
    const leftovers = killProcessesUsing(dataRoot);
    if (leftovers.length > 0) {
      console.warn(
        `[testkit] killed ${leftovers.length} leftover server(s): ${leftovers.join(', ')}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await rm(dataRoot, { recursive: true, force: true });
  };
  const postgresVersion = await serverVersion(stack.databaseUrl).catch(async (error: unknown) => {
    await teardown();
    throw error;
  });
  const brokers = stack.kafkaBrokers.join(',');
  const kafka = stack.kafka
    ? `real Kafka ${stack.kafka.version} (KRaft, pid ${stack.kafka.pid}) at ${brokers}`
    : `Kafka at ${brokers} (KAFKA_BROKERS)`;
  const postgres = stack.postgres
    ? `real Postgres ${postgresVersion} (pid ${stack.postgres.pid}) at ${new URL(stack.databaseUrl).host}`
    : `Postgres ${postgresVersion} (DATABASE_URL)`;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`[testkit] ${kafka} and ${postgres} (started in ${seconds} s)`);

  const provided: ProvidedStack = {
    kafkaBrokers: stack.kafkaBrokers,
    databaseUrl: stack.databaseUrl,
    kafkaLibDir: stack.kafkaLibDir ?? null,
    kafkaVersion: stack.kafka?.version ?? null,
    dataRoot,
  };
  project.provide('stack', provided);

  return teardown;
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}
