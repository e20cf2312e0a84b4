import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { killProcessesUsing } from './leftover-processes.js';
import { isDockerReachable } from './test-containers.js';
import { chooseTestInfrastructure, type TestInfrastructure } from './test-infrastructure.js';
import { startTestServers } from './test-servers.js';
import type { ProvidedStack } from './test-stack.js';

/**
 * Vitest global setup of the `integration` project: starts ONE real Kafka broker and ONE real
 * Postgres for the whole run (free ports, fresh data in a temp folder), unless KAFKA_BROKERS /
 * DATABASE_URL name existing ones, and provides them to the test files as `inject('stack')`
 * (see `testStack()`). From Apache Kafka's jars and embedded Postgres, or, with
 * TEST_INFRASTRUCTURE=containers on a machine with Docker, from testcontainers' modules. The
 * returned teardown stops both and deletes the data.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const infrastructure = await selectInfrastructure();
  const parent = join(tmpdir(), 'novamed-stream');
  await mkdir(parent, { recursive: true });
  const dataRoot = await mkdtemp(join(parent, 'test-'));
  // mkdtemp makes 0700 folders; as root, Postgres runs as `postgres` and must traverse them.
  await chmod(dataRoot, 0o755);

  const servers = await startTestServers(infrastructure, dataRoot).catch(async (error: unknown) => {
    await rm(dataRoot, { recursive: true, force: true });
    throw error;
  });

  const teardown = async () => {
    await servers.stop();
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
  const postgresVersion = await serverVersion(servers.databaseUrl).catch(async (error: unknown) => {
    await teardown();
    throw error;
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`[testkit] ${servers.describe(postgresVersion)} (started in ${seconds} s)`);

  const provided: ProvidedStack = {
    kafkaBrokers: servers.kafkaBrokers,
    databaseUrl: servers.databaseUrl,
    kafkaLibDir: servers.kafkaLibDir,
    kafkaVersion: servers.kafkaVersion,
    dataRoot,
  };
  project.provide('stack', provided);

  return teardown;
}

/**
 * The jars, or containers when TEST_INFRASTRUCTURE=containers and a Docker engine answers
 * (asked for but unreachable fails the run, see {@link chooseTestInfrastructure}).
 */
async function selectInfrastructure(): Promise<TestInfrastructure> {
  const wantsContainers = process.env['TEST_INFRASTRUCTURE']?.trim() === 'containers';
  const choice = chooseTestInfrastructure(
    process.env,
    wantsContainers ? await isDockerReachable() : false,
  );
  if (!choice.ok) throw new Error(choice.error);
  return choice.infrastructure;
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
