import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import { ensureTopic, type RunningStack, startStack } from '@novamed-stream/devstack';
import { Kafka, logLevel } from 'kafkajs';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { readBenchSettings } from '../read-bench-settings.js';
import { BenchStackSettings } from './bench-stack-settings.js';

/** What a projector benchmark runs against; see {@link startBenchStack}. */
export interface BenchStack {
  stack: RunningStack;
  /** The benchmark's own database (dropped at the end). */
  databaseUrl: string;
  /** A pool of its own on that database (closed at the end), named in pg_stat_activity. */
  pool(name: string): Kysely<Database>;
  /** The pool that migrated the database. */
  db: Kysely<Database>;
  kafka: Kafka;
  /** A fresh topic with `partitions` partitions. */
  topic: string;
}

/**
 * Starts the stack (local Kafka and Postgres, or KAFKA_BROKERS / DATABASE_URL), a database of
 * the run's own, migrated, and a fresh topic. Everything it creates is undone by the functions
 * it adds to `cleanups` (run them in order).
 */
export async function startBenchStack(options: {
  name: string;
  runId: string;
  partitions: number;
  cleanups: Array<() => Promise<unknown>>;
  log: (line: string) => void;
}): Promise<BenchStack> {
  const { name, runId, cleanups } = options;
  const env = readBenchSettings(BenchStackSettings, process.env);
  const dataDir = await mkdtemp(join(tmpdir(), `bench-${name}-`));
  // The embedded Postgres runs as the `postgres` user when we are root.
  await chmod(dataDir, 0o755);
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  options.log(
    `starting the stack (${env.KAFKA_BROKERS ? 'KAFKA_BROKERS' : 'local Kafka'}, ${env.DATABASE_URL ? 'DATABASE_URL' : 'local Postgres'})`,
  );
  const stack = await startStack({
    dataDir,
    kafkaBrokers: env.KAFKA_BROKERS,
    databaseUrl: env.DATABASE_URL,
    kafkaHeap: { initial: '512m', max: '1g' },
    log: () => {},
  });
  cleanups.unshift(() => stack.stop());

  // A database of its own, dropped at the end (also on an external DATABASE_URL).
  const database = `bench_${name}_${runId}`;
  const admin = async (query: string) => {
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    await client.query(query).finally(() => client.end());
  };
  await admin(`create database ${database}`);
  cleanups.unshift(() => admin(`drop database if exists ${database} with (force)`));
  const url = new URL(stack.databaseUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const pools: Array<Kysely<Database>> = [];
  const pool = (poolName: string) => {
    const db = createDb({ connectionString: databaseUrl, applicationName: `bench-${poolName}` });
    pools.push(db);
    return db;
  };
  cleanups.unshift(() => Promise.all(pools.map((p) => p.destroy())));
  const db = pool('setup');
  const migrated = await migrateToLatest(db);
  if (!migrated.ok) throw migrated.error;

  const kafka = new Kafka({
    clientId: `bench-${name}`,
    brokers: stack.kafkaBrokers,
    logLevel: logLevel.ERROR,
  });
  const topic = `bench.${name}.${runId}`;
  await ensureTopic({ brokers: stack.kafkaBrokers, topic, partitions: options.partitions });
  return { stack, databaseUrl, pool, db, kafka, topic };
}
