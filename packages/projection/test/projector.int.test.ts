import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import { decodeEvent, type NovaMedEvent } from '@novamed-stream/events';
import { ordersProjector } from '@novamed-stream/projectors';
import { project } from '@novamed-stream/read-models';
import {
  createTestDatabase,
  createTestTopic,
  orderJourneys,
  testKafka,
} from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activateVersion,
  createProjector,
  ensureVersionTables,
  type Projector,
  stateFromRow,
} from '../src/index.js';
import { type RawEvent, rng, shuffle, toKafkaMessage } from './fixtures.js';

let db: Kysely<Database>;
let drop: () => Promise<void>;
let kafka: Kafka;
let version = 100;

beforeAll(async () => {
  const database = await createTestDatabase('projector');
  drop = database.drop;
  db = createDb({ connectionString: database.url });
  expect((await migrateToLatest(db)).ok).toBe(true);
  kafka = testKafka('projector-test');
});
afterAll(async () => {
  await db?.destroy();
  await drop?.();
});

async function produce(topic: string, events: Array<RawEvent | Buffer>) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += 500) {
      await producer.send({
        topic,
        acks: -1,
        messages: events.slice(i, i + 500).map(toKafkaMessage),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting');
}

async function caughtUp(topic: string, v: number) {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  await waitFor(async () => {
    const rows = await db
      .selectFrom('novamed.projection_checkpoints')
      .select(['partition', 'next_offset'])
      .where('version', '=', v)
      .where('topic', '=', topic)
      .execute();
    const at = new Map(rows.map((r) => [r.partition, r.next_offset]));
    return ends.every((e) => e.high === '0' || at.get(e.partition) === e.high);
  });
}

function expected(events: RawEvent[]) {
  const byOrder = new Map<string, NovaMedEvent[]>();
  for (const raw of events) {
    const decoded = decodeEvent(Buffer.from(JSON.stringify(raw)));
    if (decoded.ok) {
      const id = String(raw.data['order_id']);
      byOrder.set(id, [...(byOrder.get(id) ?? []), decoded.event]);
    }
  }
  return [...byOrder.keys()]
    .sort()
    .map((id) => project(ordersProjector.readModel, byOrder.get(id) ?? []));
}

async function stored(v: number) {
  const result = await sql<
    Record<string, unknown>
  >`select * from ${sql.table(`orders_v${v}.orders`)} order by order_id`.execute(db);
  return result.rows;
}

describe('projector on a real broker and Postgres', () => {
  it('turns duplicated, shuffled deliveries into exactly the expected rows', async () => {
    const v = ++version;
    const topic = await createTestTopic({ prefix: 'proj-basic', partitions: 3 });
    await ensureVersionTables(db, ordersProjector, v);
    await activateVersion(db, ordersProjector, v);
    const events = orderJourneys({ runId: `basic${v}`, count: 200, seed: 11 });
    const random = rng(5);
    // Redeliveries of the same event_id land on other offsets (same key, same partition).
    const delivered = shuffle([...events, ...events.filter(() => random() < 0.25)], random);
    await produce(topic, delivered);
    const projector = createProjector({
      definition: ordersProjector,
      version: v,
      kafka,
      db,
      topic,
      deadLetterTopic: null,
      groupId: `g-${topic}`,
    });
    await projector.start();
    try {
      await caughtUp(topic, v);
    } finally {
      await projector.stop();
    }
    const rows = await stored(v);
    expect(rows.map((r) => stateFromRow(ordersProjector, r))).toEqual(expected(events));
    expect(rows.reduce((n, r) => n + Number(r['events_applied']), 0)).toBe(events.length);
    expect(
      await projector.metrics.registry.getSingleMetricAsString(
        'projector_duplicates_skipped_total',
      ),
    ).toMatch(new RegExp(`projector="orders"} ${delivered.length - events.length}\\b`));
    // Offsets are committed to Kafka too, so lag tools see the group caught up.
    const admin = kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: `g-${topic}`, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const high = new Map(ends.map((e) => [e.partition, e.high]));
    for (const p of committed[0]?.partitions ?? []) expect(p.offset).toBe(high.get(p.partition));
  });

  it('two instances in one group while events flow: no double effects', async () => {
    const v = ++version;
    const topic = await createTestTopic({ prefix: 'proj-two', partitions: 6 });
    await ensureVersionTables(db, ordersProjector, v);
    const events = orderJourneys({ runId: `two${v}`, count: 600, seed: 13 });
    const groupId = `g-${topic}`;
    const make = () =>
      createProjector({
        definition: ordersProjector,
        version: v,
        kafka,
        db,
        topic,
        deadLetterTopic: null,
        groupId,
      });
    const instances: Projector[] = [make()];
    await instances[0]?.start();
    const producing = (async () => {
      for (let i = 0; i < events.length; i += 100) {
        await produce(topic, events.slice(i, i + 100));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const second = make();
    instances.push(second);
    await second.start(); // triggers a rebalance mid-stream
    await producing;
    await new Promise((r) => setTimeout(r, 500));
    await instances[0]?.stop(); // and another one: the survivor takes every partition
    try {
      await caughtUp(topic, v);
    } finally {
      await second.stop();
    }
    const rows = await stored(v);
    expect(rows.map((r) => stateFromRow(ordersProjector, r))).toEqual(expected(events));
    expect(rows.reduce((n, r) => n + Number(r['events_applied']), 0)).toBe(events.length);
  });

  it('sends an invalid event to projection_errors and the dead-letter topic, and goes on', async () => {
    const v = ++version;
    const topic = await createTestTopic({ prefix: 'proj-dlq', partitions: 1 });
    const deadLetterTopic = await createTestTopic({ prefix: 'proj-dlq-dead', partitions: 1 });
    await ensureVersionTables(db, ordersProjector, v);
    const [created, processing] = orderJourneys({ runId: `dlq${v}`, count: 1, seed: 1 });
    const invalid: RawEvent = {
      ...created!,
      event_id: `evt_invalid_${v}`,
      event_type: 'order:shipped',
    };
    await produce(topic, [created!, invalid, processing!]);
    const projector = createProjector({
      definition: ordersProjector,
      version: v,
      kafka,
      db,
      topic,
      deadLetterTopic,
      groupId: `g-${topic}`,
    });
    await projector.start();
    try {
      await caughtUp(topic, v);
    } finally {
      await projector.stop();
    }
    const errors = await db
      .selectFrom('novamed.projection_errors')
      .selectAll()
      .where('version', '=', v)
      .execute();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      event_id: `evt_invalid_${v}`,
      reason: 'INVALID_DATA',
      offset: '1',
    });
    const [row] = await stored(v);
    expect(row).toMatchObject({ status: 'processing', events_applied: 2 });

    const consumer = kafka.consumer({ groupId: `dlq-reader-${v}` });
    await consumer.connect();
    await consumer.subscribe({ topic: deadLetterTopic, fromBeginning: true });
    const dead = await new Promise<{ value: string; reason: string }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) =>
          resolve({
            value: String(message.value),
            reason: String(message.headers?.['novamed-error-reason']),
          }),
      });
    });
    await consumer.disconnect();
    expect(dead.reason).toBe('INVALID_DATA');
    expect(JSON.parse(dead.value).event_id).toBe(`evt_invalid_${v}`);
  });
});
