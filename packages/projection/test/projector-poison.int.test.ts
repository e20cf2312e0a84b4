import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import { decodeEvent, type NovaMedEvent } from '@novamed-stream/events';
import { ordersProjector } from '@novamed-stream/projectors';
import { project } from '@novamed-stream/read-models';
import {
  createTestDatabase,
  createTestTopic,
  orderJourneys,
  readTopic,
  testKafka,
} from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchOutcome,
  createProjector,
  ensureVersionTables,
  type Logger,
  stateFromRow,
} from '../src/index.js';
import { type RawEvent, toKafkaMessage } from './fixtures.js';

// One partition, hundreds of good events and five poison messages planted in the middle, all
// on the topic before the projector starts, so they arrive in one fetch. Against the code
// before this change the projector retried that batch forever (RangeError, SQLSTATE 22008,
// a failing projection_errors insert) and nothing after the first poison was ever applied.

let db: Kysely<Database>;
let drop: () => Promise<void>;
let kafka: Kafka;

beforeAll(async () => {
  const database = await createTestDatabase('poison');
  drop = database.drop;
  db = createDb({ connectionString: database.url });
  expect((await migrateToLatest(db)).ok).toBe(true);
  kafka = testKafka('poison-test');
});
afterAll(async () => {
  await db?.destroy();
  await drop?.();
});

const PHI = 'Jane Q Patient';
const DEEP = 100_000;

/** The orders projector, except that its evolve throws for one event id. */
function throwingOn(eventId: string): typeof ordersProjector {
  const { readModel } = ordersProjector;
  return {
    ...ordersProjector,
    readModel: {
      ...readModel,
      evolve: (state, event) => {
        if (event.event_id === eventId) throw new TypeError(`cannot fold ${PHI}`);
        return readModel.evolve(state, event);
      },
    },
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting');
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

describe('poison messages in the middle of a large batch', () => {
  it('applies the batch around them, each good event once, and dead-letters each poison with a value-free reason', async () => {
    const v = 1;
    const topic = await createTestTopic({ prefix: 'proj-poison', partitions: 1 });
    const deadLetterTopic = await createTestTopic({ prefix: 'proj-poison-dead', partitions: 1 });
    await ensureVersionTables(db, ordersProjector, v);

    const good = orderJourneys({ runId: 'poison', count: 200, seed: 21 });
    const base = good[0] as RawEvent;
    const orderEvent = (eventId: string, data: Record<string, unknown>, extra = {}): RawEvent => ({
      ...base,
      event_type: 'order:created',
      event_id: eventId,
      data: { order_id: `ord_${eventId}`, ...data },
      ...extra,
    });
    const deepValue = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
    const deep = Buffer.from(
      JSON.stringify(orderEvent('evt_deep', { note: 'x' })).replace('"x"', deepValue),
    );
    const poisons: Array<[string, RawEvent | Buffer]> = [
      // 100,000 nested arrays (~200 KB): JSON.stringify/structuredClone overflow the stack.
      ['evt_deep', deep],
      // Year 0: valid ISO 8601, but Postgres refuses it (22008, and its message quotes it).
      [
        'evt_year0',
        orderEvent('evt_year0', { patient_id: PHI }, { timestamp: '0000-01-01T00:00:00Z' }),
      ],
      // The read model's evolve throws for this one.
      ['evt_evolve', orderEvent('evt_evolve', { patient_id: PHI })],
      // Invalid data AND an event_id with U+0000: its error row must still be storable.
      [
        'evt_nul\u0000id',
        {
          ...base,
          event_type: 'order:shipped',
          event_id: 'evt_nul\u0000id',
          data: { order_id: 'ord_nul' },
        },
      ],
      // An order_id with U+0000 (Postgres text cannot hold it).
      ['evt_nul_order', orderEvent('evt_nul_order', { order_id: 'ord_\u0000' })],
    ];
    const delivered: Array<RawEvent | Buffer> = [...good];
    const middle = Math.floor(good.length / 2);
    for (const [i, [, p]] of poisons.entries()) delivered.splice(middle + i * 7, 0, p);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: delivered.map(toKafkaMessage) });
    await producer.disconnect();

    const logged: string[] = [];
    const logger: Logger = {
      info: (o, m) => logged.push(`${m} ${JSON.stringify(o)}`),
      warn: (o, m) => logged.push(`${m} ${JSON.stringify(o)}`),
      error: (o, m) => logged.push(`${m} ${JSON.stringify(o)}`),
    };
    const batches: Array<{ messages: number; outcome: BatchOutcome & { ok: true } }> = [];
    const projector = createProjector({
      definition: throwingOn('evt_evolve'),
      version: v,
      kafka,
      db,
      topic,
      deadLetterTopic,
      groupId: `g-${topic}`,
      logger,
      retryInitialMs: 50,
      retryMaxMs: 200,
      onBatch: ({ outcome }) =>
        batches.push({
          messages:
            outcome.applied +
            outcome.duplicates +
            outcome.ignored +
            outcome.unknown +
            outcome.rejected.length,
          outcome,
        }),
    });
    const started = Date.now();
    await projector.start();
    try {
      await waitFor(async () => {
        const row = await db
          .selectFrom('novamed.projection_checkpoints')
          .select('next_offset')
          .where('topic', '=', topic)
          .executeTakeFirst();
        return row?.next_offset === String(delivered.length);
      });
      expect(projector.health()).toMatchObject({ running: true, retrying: [] });
    } finally {
      await projector.stop();
    }
    const tookMs = Date.now() - started;

    // One batch held everything: the poison was narrowed inside it, not split across fetches.
    const poisoned = batches.find((b) => b.outcome.rejected.length > 0);
    expect(poisoned?.messages).toBe(delivered.length);
    expect(poisoned?.outcome.applied).toBe(good.length);
    expect(poisoned?.outcome.isolationTrials).toBeGreaterThan(0);

    // Every good event exactly once, and the rows are the pure fold of the good events.
    const history = await sql<{
      n: string;
    }>`select count(*) as n from orders_v1.order_events`.execute(db);
    expect(Number(history.rows[0]?.n)).toBe(good.length);
    const rows = (
      await sql<Record<string, unknown>>`select * from orders_v1.orders order by order_id`.execute(
        db,
      )
    ).rows;
    expect(rows.reduce((n, r) => n + Number(r['events_applied']), 0)).toBe(good.length);
    expect(rows.map((r) => stateFromRow(ordersProjector, r))).toEqual(expected(good));

    // Each poison in projection_errors at its offset, with a reason and no value in it.
    const errors = await db
      .selectFrom('novamed.projection_errors')
      .select(['event_id', 'reason', 'details', 'offset'])
      .where('topic', '=', topic)
      .orderBy('offset')
      .execute();
    const offsetOf = (p: RawEvent | Buffer) => String(delivered.indexOf(p));
    expect(errors.map((e) => [e.event_id, e.reason, e.offset])).toEqual([
      ['evt_deep', 'TOO_DEEPLY_NESTED', offsetOf(poisons[0]![1])],
      ['evt_year0', 'APPLY_FAILED', offsetOf(poisons[1]![1])],
      ['evt_evolve', 'APPLY_FAILED', offsetOf(poisons[2]![1])],
      ['evt_nul\ufffdid', 'INVALID_DATA', offsetOf(poisons[3]![1])],
      ['evt_nul_order', 'UNSUPPORTED_CHARACTER', offsetOf(poisons[4]![1])],
    ]);
    expect(JSON.stringify(errors[1]?.details)).toContain('22008');
    expect(JSON.stringify(errors[2]?.details)).toContain('EVOLVE');
    expect(JSON.stringify(errors)).not.toMatch(/Jane|0000-01-01/);
    expect(logged.join('\n')).not.toMatch(/Jane|0000-01-01/);
    expect(logged.join('\n')).not.toMatch(/consumer crashed|replacing the crashed consumer/);

    // And on the dead-letter topic, with the same reasons.
    const dead = await readTopic(kafka, deadLetterTopic);
    expect(
      dead
        .map((m) => [m.headers['novamed-error-reason'], m.headers['novamed-source']])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    ).toEqual(
      errors
        .map((e) => [e.reason, `${topic}/0/${e.offset}`])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    );
    expect(
      dead.find((m) => m.headers['novamed-error-reason'] === 'TOO_DEEPLY_NESTED')?.value,
    ).toEqual(deep);
    expect(tookMs).toBeLessThan(30_000);
  });
});
