import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import type { PostgresServer } from '@novamed-stream/devstack';
import { ordersProjector } from '@novamed-stream/projectors';
import {
  createTestTopic,
  orderJourneys,
  startDedicatedPostgres,
  testKafka,
} from '@novamed-stream/testkit';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjector, ensureVersionTables } from '../src/index.js';
import { toKafkaMessage } from './fixtures.js';

let postgres: PostgresServer;
let db: Kysely<Database>;

beforeAll(async () => {
  postgres = await startDedicatedPostgres();
  db = createDb({ connectionString: postgres.url, maxConnections: 4 });
  expect((await migrateToLatest(db)).ok).toBe(true);
  await ensureVersionTables(db, ordersProjector, 1);
});
afterAll(async () => {
  await db?.destroy();
  await postgres?.stop();
});

async function until(check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}

const appliedEvents = async () =>
  Number(
    (
      await sql<{
        n: string;
      }>`select coalesce(sum(events_applied), 0) as n from orders_v1.orders`.execute(db)
    ).rows[0]?.n,
  );

describe('Postgres killed under a running projector', () => {
  it('pauses, retries with backoff, resumes by itself, and loses or doubles nothing', async () => {
    const kafka = testKafka('outage');
    const topic = await createTestTopic({ prefix: 'proj-outage', partitions: 2 });
    const events = orderJourneys({ runId: 'outage', count: 1500, seed: 3 });
    const half = Math.floor(events.length / 2);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: events.slice(0, half).map(toKafkaMessage) });

    const projector = createProjector({
      definition: ordersProjector,
      version: 1,
      kafka,
      db,
      topic,
      deadLetterTopic: null,
      groupId: `g-${topic}`,
      retryInitialMs: 50,
      retryMaxMs: 500,
      stallAfterMs: 1000,
    });
    await projector.start();
    try {
      await until(async () => (await appliedEvents()) === half);
      await postgres.kill();
      // Events keep arriving while the database is down.
      await producer.send({ topic, acks: -1, messages: events.slice(half).map(toKafkaMessage) });
      await new Promise((r) => setTimeout(r, 2500));
      expect(projector.health()).toMatchObject({
        healthy: false,
        reason: 'STALLED',
        running: true,
      });
      await postgres.start();
      await until(async () => (await appliedEvents()) === events.length);
      expect(projector.health()).toMatchObject({ healthy: true });
    } finally {
      await producer.disconnect();
      await projector.stop();
    }
    const retries = await projector.metrics.registry.getSingleMetricAsString(
      'projector_database_retries_total',
    );
    expect(Number(/} (\d+)/.exec(retries)?.[1] ?? 0)).toBeGreaterThan(0);
    const history = await sql<{
      n: string;
    }>`select count(*) as n from orders_v1.order_events`.execute(db);
    expect(Number(history.rows[0]?.n)).toBe(events.length);
  });
});
