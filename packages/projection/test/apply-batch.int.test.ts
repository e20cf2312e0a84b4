import type { Database } from '@novamed-stream/db';
import { decodeEvent, type NovaMedEvent } from '@novamed-stream/events';
import { ordersProjector } from '@novamed-stream/projectors';
import { project } from '@novamed-stream/read-models';
import { orderJourneys } from '@novamed-stream/testkit';
import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { activateVersion, applyBatch, ensureVersionTables, stateFromRow } from '../src/index.js';
import { asBatch, type RawEvent, rng, shuffle, useMigratedDatabase } from './fixtures.js';

const TOPIC = 'novamed.events.v1';
let db: Kysely<Database>;
let version = 0;

useMigratedDatabase('apply_batch', (opened) => {
  db = opened;
});

/** A fresh projector version (own schema) per test, so tests do not share rows. */
async function freshVersion(): Promise<{ version: number; schema: string }> {
  version++;
  const schema = await ensureVersionTables(db, ordersProjector, version);
  return { version, schema };
}

const apply = (v: number, events: Array<RawEvent | Buffer>, first: number, partition = 0) =>
  applyBatch(db, ordersProjector, v, { topic: TOPIC, partition, messages: asBatch(events, first) });

async function rows(schema: string) {
  const result = await sql<
    Record<string, unknown>
  >`select * from ${sql.table(`${schema}.orders`)} order by order_id`.execute(db);
  return result.rows;
}

function expectedStates(events: RawEvent[]) {
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

describe('applyBatch against a real Postgres', () => {
  it('gives the pure fold of the set of events, whatever the order, batching and duplicates', async () => {
    const { version: v, schema } = await freshVersion();
    const events = orderJourneys({ runId: 'perm', count: 60, seed: 7 });
    const random = rng(42);
    // Redeliveries: a third of the events again, at later offsets; all shuffled.
    const delivered = shuffle([...events, ...events.filter(() => random() < 0.33)], random);
    let offset = 0;
    while (offset < delivered.length) {
      const size = 1 + Math.floor(random() * 25);
      const outcome = await apply(v, delivered.slice(offset, offset + size), offset);
      expect(outcome.ok).toBe(true);
      offset += size;
    }
    const stored = await rows(schema);
    expect(stored.map((r) => stateFromRow(ordersProjector, r))).toEqual(expectedStates(events));
    const counts = Object.fromEntries(stored.map((r) => [r['order_id'], r['events_applied']]));
    for (const e of events) expect(counts[String(e.data['order_id'])]).toBeGreaterThan(0);
    const total = stored.reduce((n, r) => n + Number(r['events_applied']), 0);
    expect(total).toBe(events.length);
    const history = await sql<{
      n: string;
    }>`select count(*) as n from ${sql.table(`${schema}.order_events`)}`.execute(db);
    expect(Number(history.rows[0]?.n)).toBe(events.length);
  });

  it('skips messages below the checkpoint after a crash or rebalance', async () => {
    const { version: v, schema } = await freshVersion();
    const events = orderJourneys({ runId: 'ckpt', count: 5, seed: 3 });
    const first = await apply(v, events.slice(0, 8), 0);
    expect(first).toMatchObject({ ok: true, applied: 8, nextOffset: '8' });
    // The same consumer restarts from an older Kafka offset: 4..end.
    const again = await apply(v, events.slice(4), 4);
    expect(again).toMatchObject({ ok: true, belowCheckpoint: 4, applied: events.length - 8 });
    const total = (await rows(schema)).reduce((n, r) => n + Number(r['events_applied']), 0);
    expect(total).toBe(events.length);
  });

  it('applies a batch once when two consumers race with it (stale member after a rebalance)', async () => {
    const { version: v, schema } = await freshVersion();
    const events = orderJourneys({ runId: 'race', count: 30, seed: 5 });
    const outcomes = await Promise.all([apply(v, events, 0), apply(v, events, 0)]);
    const applied = outcomes.map((o) => (o.ok ? o.applied : -1)).sort();
    expect(applied).toEqual([0, events.length]);
    expect(outcomes.every((o) => o.ok && o.nextOffset === String(events.length))).toBe(true);
    const stored = await rows(schema);
    expect(stored.reduce((n, r) => n + Number(r['events_applied']), 0)).toBe(events.length);
    expect(stored.map((r) => stateFromRow(ordersProjector, r))).toEqual(expectedStates(events));
  });

  it('accepts a batch that starts at the low watermark when retention deleted older offsets', async () => {
    const { version: v } = await freshVersion();
    const events = orderJourneys({ runId: 'retention', count: 2, seed: 1 });
    const outcome = await applyBatch(db, ordersProjector, v, {
      topic: TOPIC,
      partition: 0,
      messages: asBatch(events, 500),
      lowWatermark: '500',
    });
    expect(outcome).toMatchObject({
      ok: true,
      applied: events.length,
      nextOffset: String(500 + events.length),
    });
  });

  it('refuses a batch that starts after the checkpoint (a gap)', async () => {
    const { version: v } = await freshVersion();
    const events = orderJourneys({ runId: 'gap', count: 3, seed: 1 });
    await apply(v, events.slice(0, 2), 0);
    expect(await apply(v, events.slice(3), 5)).toEqual({
      ok: false,
      reason: 'GAP',
      checkpoint: '2',
      firstOffset: '5',
    });
  });

  it('records an invalid event in projection_errors and keeps applying the next ones', async () => {
    const { version: v, schema } = await freshVersion();
    const [good1, good2] = orderJourneys({ runId: 'bad', count: 1, seed: 2 });
    const invalid: RawEvent = {
      event_type: 'order:shipped',
      event_id: 'evt_bad_shipped',
      timestamp: '2025-01-15T10:00:00Z',
      clinic_id: 'c',
      data: { order_id: 'ord_bad_x', carrier: 'UPS' },
    };
    const unknown: RawEvent = { ...invalid, event_id: 'evt_unknown', event_type: 'order:returned' };
    const refill: RawEvent = {
      ...invalid,
      event_id: 'evt_refill',
      event_type: 'refill:requested',
      data: { refill_id: 'r1' },
    };
    // Another aggregate's event is ignored whatever its data, but not without a valid envelope.
    const refillWithoutClinic: RawEvent = { ...refill, event_id: 'evt_refill_2', clinic_id: '' };
    const outcome = await apply(
      v,
      [good1!, invalid, Buffer.from('{not json'), unknown, refill, refillWithoutClinic, good2!],
      0,
    );
    expect(outcome).toMatchObject({ ok: true, applied: 2, unknown: 1, ignored: 1 });
    const errors = await db
      .selectFrom('novamed.projection_errors')
      .selectAll()
      .where('version', '=', v)
      .orderBy('offset')
      .execute();
    expect(errors.map((e) => [e.offset, e.reason, e.event_id])).toEqual([
      ['1', 'INVALID_DATA', 'evt_bad_shipped'],
      ['2', 'INVALID_JSON', null],
      ['5', 'INVALID_ENVELOPE', 'evt_refill_2'],
    ]);
    expect(errors[0]?.details.join(' ')).toContain('data.tracking_number');
    expect(await rows(schema)).toHaveLength(1);
  });

  it('keeps lineage on every row', async () => {
    const { version: v, schema } = await freshVersion();
    const other = orderJourneys({ runId: 'lineage_other', count: 3, seed: 9 });
    const events = orderJourneys({ runId: 'lineage', count: 1, seed: 9 });
    await apply(v, [...other, ...events], 0, 4);
    const row = (await rows(schema)).find((r) => r['order_id'] === 'ord_lineage_0');
    expect(row).toMatchObject({
      events_applied: events.length,
      source_partition: 4,
      source_offset: String(other.length + events.length - 1),
      last_event_id: events[events.length - 1]?.event_id,
    });
  });

  it('lets analytics_reader read the analytics views and nothing else', async () => {
    const { version: v } = await freshVersion();
    await apply(v, orderJourneys({ runId: 'reader', count: 2, seed: 1 }), 0);
    await activateVersion(db, ordersProjector, v);
    await db.connection().execute(async (conn) => {
      await sql`set role analytics_reader`.execute(conn);
      const orders = await sql<{ n: string }>`select count(*) as n from analytics.orders`.execute(
        conn,
      );
      expect(Number(orders.rows[0]?.n)).toBe(2);
      const funnel = await sql`select * from analytics.order_funnel_daily`.execute(conn);
      expect(funnel.rows.length).toBeGreaterThan(0);
      await expect(
        sql`select * from ${sql.table(`orders_v${v}.orders`)}`.execute(conn),
      ).rejects.toThrow(/permission denied/);
      await expect(sql`select * from novamed.projection_checkpoints`.execute(conn)).rejects.toThrow(
        /permission denied/,
      );
      await expect(sql`delete from analytics.orders`.execute(conn)).rejects.toThrow(
        /permission denied/,
      );
      await expect(sql`create table analytics.x (a int)`.execute(conn)).rejects.toThrow(
        /permission denied/,
      );
      await sql`reset role`.execute(conn);
    });
  });

  it('swaps the analytics views to another version in one transaction', async () => {
    const { version: a } = await freshVersion();
    await apply(a, orderJourneys({ runId: 'swap_a', count: 3, seed: 1 }), 0);
    await activateVersion(db, ordersProjector, a);
    const { version: b } = await freshVersion();
    await apply(b, orderJourneys({ runId: 'swap_b', count: 5, seed: 1 }), 0);
    const count = async () =>
      Number(
        (await sql<{ n: string }>`select count(*) as n from analytics.orders`.execute(db)).rows[0]
          ?.n,
      );
    expect(await count()).toBe(3);
    await activateVersion(db, ordersProjector, b);
    expect(await count()).toBe(5);
    const versions = await db
      .selectFrom('novamed.projection_versions')
      .select(['version', 'status'])
      .where('version', 'in', [a, b])
      .orderBy('version')
      .execute();
    expect(versions).toEqual([
      { version: a, status: 'retired' },
      { version: b, status: 'live' },
    ]);
  });
});
