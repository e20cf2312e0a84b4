import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import { decodeEvent, type NovaMedEvent } from '@novamed-stream/events';
import { ordersProjector } from '@novamed-stream/projectors';
import { project } from '@novamed-stream/read-models';
import { startHealthServer } from '@novamed-stream/service-kit';
import {
  createTestDatabase,
  createTestTopic,
  orderJourneys,
  testKafka,
} from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjector, ensureVersionTables, stateFromRow, versionSchema } from '../src/index.js';
import { type RawEvent, toKafkaMessage } from './fixtures.js';

// Another session holds the per-aggregate advisory lock of one order of partition 0, so every
// batch of partition 0 fails (lock_timeout, SQLSTATE 55P03: transient). Before this change
// the projector retried that batch inside kafkajs' eachBatch, which holds up the fetch loop
// of every partition: events sent to partitions 1 and 2 afterwards were never applied.

let db: Kysely<Database>;
let url: string;
let drop: () => Promise<void>;
let kafka: Kafka;

beforeAll(async () => {
  const database = await createTestDatabase('stuck');
  drop = database.drop;
  url = database.url;
  db = createDb({ connectionString: url });
  expect((await migrateToLatest(db)).ok).toBe(true);
  kafka = testKafka('stuck-test');
});
afterAll(async () => {
  await db?.destroy();
  await drop?.();
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function expected(events: RawEvent[]) {
  const byOrder = new Map<string, NovaMedEvent[]>();
  for (const raw of events) {
    const decoded = decodeEvent(Buffer.from(JSON.stringify(raw)));
    if (!decoded.ok) throw new Error('fixture is invalid');
    const id = String(raw.data['order_id']);
    byOrder.set(id, [...(byOrder.get(id) ?? []), decoded.event]);
  }
  return [...byOrder.keys()]
    .sort()
    .map((id) => project(ordersProjector.readModel, byOrder.get(id) ?? []));
}

describe('one partition stuck on a lock', () => {
  it('the other partitions keep applying, health names only the stuck one, and it catches up exactly once after release', async () => {
    const v = 1;
    const schema = versionSchema(ordersProjector.name, v);
    const topic = await createTestTopic({ prefix: 'proj-stuck', partitions: 3 });
    await ensureVersionTables(db, ordersProjector, v);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = (partition: number, events: RawEvent[]) =>
      producer.send({
        topic,
        acks: -1,
        messages: events.map((e) => ({ ...toKafkaMessage(e), partition })),
      });
    const ends = async () => {
      const admin = kafka.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
      return new Map(offsets.map((o) => [o.partition, o.high]));
    };
    const atEnd = async (partitions: number[]) => {
      const high = await ends();
      const rows = await db
        .selectFrom('novamed.projection_checkpoints')
        .select(['partition', 'next_offset'])
        .where('topic', '=', topic)
        .execute();
      const at = new Map(rows.map((r) => [r.partition, r.next_offset]));
      return partitions.every((p) => at.get(p) === high.get(p));
    };

    const stuck = orderJourneys({ runId: 'p0', count: 40, seed: 31 });
    const first = [
      orderJourneys({ runId: 'p1a', count: 40, seed: 32 }),
      orderJourneys({ runId: 'p2a', count: 40, seed: 33 }),
    ];
    const later = [
      orderJourneys({ runId: 'p1b', count: 40, seed: 34 }),
      orderJourneys({ runId: 'p2b', count: 40, seed: 35 }),
    ];
    const all = [...stuck, ...first.flat(), ...later.flat()];

    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    const lockedOrder = String(stuck[0]?.data['order_id']);
    await holder.query('select pg_advisory_lock(hashtext($1))', [`${schema}:${lockedOrder}`]);

    await send(0, stuck);
    await send(1, first[0] ?? []);
    await send(2, first[1] ?? []);
    const projector = createProjector({
      definition: ordersProjector,
      version: v,
      kafka,
      db,
      topic,
      deadLetterTopic: null,
      groupId: `g-${topic}`,
      lockTimeoutMs: 300,
      retryInitialMs: 100,
      retryMaxMs: 500,
      stallAfterMs: 1500,
    });
    const health = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      registry: projector.metrics.registry,
      health: () => {
        const h = projector.health();
        return { ...h, healthy: h.healthy && h.running };
      },
    });
    const healthz = async () =>
      (await (await fetch(`${health.url}/healthz`)).json()) as {
        healthy: boolean;
        retrying: unknown[];
      };
    const metricsText = async () => (await fetch(`${health.url}/metrics`)).text();
    let released = false;
    await projector.start();
    try {
      await waitFor(() => atEnd([1, 2]), 'partitions 1 and 2, first events');
      // Sent while partition 0 is stuck: they must not wait for it.
      await send(1, later[0] ?? []);
      await send(2, later[1] ?? []);
      await waitFor(() => atEnd([1, 2]), 'partitions 1 and 2, events sent while 0 is stuck');

      await waitFor(async () => (await healthz()).healthy === false, 'partition 0 to stall');
      const report = await healthz();
      expect(report).toMatchObject({ healthy: false, reason: 'STALLED', partitions: [0] });
      expect(report.retrying).toEqual([
        expect.objectContaining({ partition: 0, kind: 'TRANSIENT', code: '55P03' }),
      ]);
      const metrics = await metricsText();
      expect(metrics).toMatch(/projector_partition_stalled\{projector="orders",partition="0"\} 1/);
      expect(metrics).toMatch(/projector_partition_retrying\{projector="orders",partition="0"\} 1/);
      expect(metrics).not.toMatch(/projector_partition_(stalled|retrying)\{[^}]*partition="[12]"/);
      expect(metrics).toMatch(
        new RegExp(
          `projector_lag_offsets\\{projector="orders",partition="0"\\} ${stuck.length}\\b`,
        ),
      );
      expect(await atEnd([0])).toBe(false);

      await holder.query('select pg_advisory_unlock_all()');
      released = true;
      await waitFor(() => atEnd([0, 1, 2]), 'partition 0 to catch up');
      await waitFor(async () => (await healthz()).healthy === true, 'health to recover');
      expect((await healthz()).retrying).toEqual([]);
    } finally {
      if (!released) await holder.query('select pg_advisory_unlock_all()').catch(() => undefined);
      await holder.end();
      await projector.stop();
      await health.close();
      await producer.disconnect();
    }

    // Everything exactly once.
    const history = await sql<{
      n: string;
    }>`select count(*) as n from ${sql.table(`${schema}.order_events`)}`.execute(db);
    expect(Number(history.rows[0]?.n)).toBe(all.length);
    const rows = (
      await sql<Record<string, unknown>>`select * from ${sql.table(
        `${schema}.orders`,
      )} order by order_id`.execute(db)
    ).rows;
    expect(rows.reduce((n, r) => n + Number(r['events_applied']), 0)).toBe(all.length);
    expect(rows.map((r) => stateFromRow(ordersProjector, r))).toEqual(expected(all));
  });
});
