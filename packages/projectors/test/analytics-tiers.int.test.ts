import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  createDb,
  type Database,
  migrateToLatest,
  pseudonym,
  rotatePseudonymKey,
} from '@novamed-stream/db';
import { EVENT_TYPES, eventHeaders } from '@novamed-stream/events';
import { activateVersion, applyBatch, ensureVersionTables } from '@novamed-stream/projection';
import { createTestDatabase, uniqueName } from '@novamed-stream/testkit';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_PROJECTORS } from '../src/index.js';
import { journeyEvents, PLANTED_PHI, type RawEvent } from './journey-events.js';

const TOPIC = 'novamed.events.v1';
const KEY = randomBytes(32);
const events = journeyEvents();
let db: Kysely<Database>;
let drop: () => Promise<void>;
const reader = uniqueName('alice');

/** Applies every event to version `version` of every projector and makes it live. */
async function buildVersion(version: number, batch: readonly RawEvent[]): Promise<void> {
  // One loop over projectors of different state types (the runtime is generic over them).
  for (const definition of ALL_PROJECTORS) {
    await ensureVersionTables(db, definition, version);
    await applyBatch(db, definition, version, {
      topic: TOPIC,
      partition: 0,
      messages: batch.map((event, i) => ({
        offset: String(i),
        value: Buffer.from(JSON.stringify(event)),
        headers: eventHeaders(event, new Date()),
      })),
    });
    await activateVersion(db, definition, version);
  }
}

/** Runs `use` on one connection as `role` (a superuser can become any role). */
async function as<T>(
  role: string,
  use: (conn: Kysely<Database>) => Promise<T>,
  how: 'role' | 'session' = 'role',
): Promise<T> {
  return db.connection().execute(async (conn) => {
    if (how === 'session') await sql`set session authorization ${sql.id(role)}`.execute(conn);
    else await sql`set role ${sql.id(role)}`.execute(conn);
    try {
      return await use(conn);
    } finally {
      await sql`reset session authorization`.execute(conn);
      await sql`reset role`.execute(conn);
    }
  });
}

async function viewsOf(conn: Kysely<Database>, schema: string): Promise<string[]> {
  const rows = await sql<{ name: string }>`
    select viewname as name from pg_views where schemaname = ${schema} order by 1`.execute(conn);
  return rows.rows.map((r) => r.name);
}

/** Every row of every view in `analytics`, as analytics_reader, as text. */
async function analyticsText(): Promise<Map<string, string>> {
  return as('analytics_reader', async (conn) => {
    const texts = new Map<string, string>();
    for (const view of await viewsOf(conn, 'analytics')) {
      const rows = await sql<{ row: string }>`
        select t::text as row from ${sql.table(`analytics.${view}`)} t`.execute(conn);
      texts.set(view, rows.rows.map((r) => r.row).join('\n'));
    }
    return texts;
  });
}

async function patientPseudonyms(): Promise<Record<string, string[]>> {
  return as('analytics_reader', async (conn) => {
    const of = async (query: ReturnType<typeof sql<{ p: string | null }>>) =>
      [...new Set((await query.execute(conn)).rows.map((r) => r.p))].sort() as string[];
    return {
      orders: await of(sql`select patient_pseudonym as p from analytics.orders`),
      orderEvents: await of(sql`select patient_pseudonym as p from analytics.order_events`),
      requests: await of(sql`select patient_pseudonym as p from analytics.medication_requests`),
      requestEvents: await of(
        sql`select patient_pseudonym as p from analytics.medication_request_events`,
      ),
      refills: await of(sql`select patient_pseudonym as p from analytics.refills`),
      refillEvents: await of(sql`select patient_pseudonym as p from analytics.refill_events`),
      fillTimes: await of(
        sql`select patient_pseudonym as p from analytics.medication_request_fill_times`,
      ),
      decisionTimes: await of(
        sql`select patient_pseudonym as p from analytics.refill_decision_times`,
      ),
    };
  });
}

beforeAll(async () => {
  const database = await createTestDatabase('analytics_tiers');
  drop = database.drop;
  db = createDb({ connectionString: database.url, maxConnections: 4 });
  expect((await migrateToLatest(db)).ok).toBe(true);
  expect((await rotatePseudonymKey(db, KEY)).ok).toBe(true);
  await sql`create role ${sql.id(reader)} nologin in role phi_reader`.execute(db);
  await buildVersion(1, events);
});
afterAll(async () => {
  await sql`drop role if exists ${sql.id(reader)}`.execute(db);
  await db?.destroy();
  await drop?.();
});

describe('analytics (de-identified, analytics_reader)', () => {
  it('covers every event type and every view', async () => {
    const texts = await analyticsText();
    expect([...texts.keys()]).toEqual([
      'medication_request_events',
      'medication_request_fill_times',
      'medication_request_funnel_daily',
      'medication_requests',
      'order_delivery_times',
      'order_events',
      'order_funnel_daily',
      'orders',
      'refill_decision_times',
      'refill_events',
      'refills',
    ]);
    const types = await as('analytics_reader', async (conn) =>
      (
        await sql<{ t: string }>`
          select event_type as t from analytics.order_events
          union select event_type from analytics.medication_request_events
          union select event_type from analytics.refill_events`.execute(conn)
      ).rows.map((r) => r.t),
    );
    expect(types.sort()).toEqual([...EVENT_TYPES].sort());
    for (const [view, text] of texts) expect(text, view).not.toBe('');
  });

  it('shows no planted PHI in any column of any view, unknown fields included', async () => {
    for (const [view, text] of await analyticsText()) {
      for (const value of PLANTED_PHI) expect(text, `${view} leaks ${value}`).not.toContain(value);
      // Every planted value carries the marker; nothing else does.
      expect(text, view).not.toMatch(/phi/i);
    }
  });

  it('keeps what analysts need: stages, medication, city, state and 5-digit ZIP', async () => {
    const order = await as('analytics_reader', async (conn) => {
      const rows = await sql<Record<string, unknown>>`
        select * from analytics.orders where order_id = 'ord_journey_1'`.execute(conn);
      return rows.rows[0];
    });
    expect(order).toMatchObject({
      status: 'delivered',
      carrier: 'UPS',
      ship_city: 'San Francisco',
      ship_state: 'CA',
      ship_zip5: '94102',
      attributes: {
        carrier: 'UPS',
        estimated_delivery: '2025-01-18',
        medication_request_id: 'mr_journey_1',
        order_id: 'ord_journey_1',
      },
    });
    expect(order?.['shipped_at']).not.toBeNull();
    expect(Object.keys(order ?? {})).not.toContain('patient_id');
    expect(Object.keys(order ?? {})).not.toContain('tracking_number');
    expect(Object.keys(order ?? {})).not.toContain('shipping_address');
  });

  it('gives a patient one pseudonym in every view: the HMAC of the id with the key', async () => {
    const expected = pseudonym(KEY, 'patient', 'pat_PHI_journey_1');
    const other = pseudonym(KEY, 'patient', 'pat_PHI_journey_2');
    const seen = await patientPseudonyms();
    expect(seen.orders).toEqual([expected, other].sort());
    expect(seen.requests).toEqual([expected, other].sort());
    expect(seen.refills).toEqual([expected]);
    for (const [view, values] of Object.entries(seen)) {
      expect(values, view).toContain(expected);
      expect(
        values.every((v) => v === expected || v === other),
        view,
      ).toBe(true);
    }
    const practitioner = await as('analytics_reader', async (conn) =>
      sql<{ p: string }>`select distinct practitioner_pseudonym as p
        from analytics.medication_requests`.execute(conn),
    );
    expect(practitioner.rows.map((r) => r.p)).toEqual([
      pseudonym(KEY, 'practitioner', 'prac_PHI_journey'),
    ]);
  });

  it('keeps the pseudonyms when a new version (what a rebuild fills) goes live', async () => {
    const before = await patientPseudonyms();
    await buildVersion(2, [...events].reverse());
    const live = await db
      .selectFrom('novamed.projection_versions')
      .select(['projector', 'version'])
      .where('status', '=', 'live')
      .execute();
    expect(live.map((v) => v.version)).toEqual([2, 2, 2]);
    expect(await patientPseudonyms()).toEqual(before);
  });

  it('cannot read the key, the audit trail or the identified tier', async () => {
    await as('analytics_reader', async (conn) => {
      for (const query of [
        sql`select * from novamed.pseudonym_key`,
        sql`select * from novamed.phi_access_log`,
        sql`select * from analytics_identified.orders`,
        sql`select * from analytics_identified.refill_events`,
        sql`select * from novamed_identified.orders`,
        sql`select * from novamed_identified.read_orders(current_user)`,
      ]) {
        await expect(query.execute(conn)).rejects.toThrow(/permission denied/);
      }
    });
  });
});

describe('analytics_identified (phi_reader, audited)', () => {
  it('shows every column, and records each read: who, when, which statement', async () => {
    const before = await db.selectFrom('novamed.phi_access_log').select('id').execute();
    const startedAt = new Date(Date.now() - 1000);
    const rows = await as(
      reader,
      async (conn) => {
        const orders = await sql<Record<string, unknown>>`
          select * from analytics_identified.orders where order_id = 'ord_journey_1'`.execute(conn);
        const refills = await sql<Record<string, unknown>>`
          select refill_id, patient_id from analytics_identified.refills`.execute(conn);
        await sql`set role phi_reader`.execute(conn);
        await sql`select count(*) from analytics_identified.medication_request_events`.execute(
          conn,
        );
        return { orders: orders.rows, refills: refills.rows };
      },
      'session',
    );
    expect(rows.orders[0]).toMatchObject({
      patient_id: 'pat_PHI_journey_1',
      tracking_number: '1ZPHI_journey_1',
      shipping_address: { line1: '742 PHI Evergreen Terrace' },
    });
    expect(rows.refills.length).toBeGreaterThan(0);
    const log = await db
      .selectFrom('novamed.phi_access_log')
      .selectAll()
      .where('id', 'not in', before.length > 0 ? before.map((r) => r.id) : ['0'])
      .orderBy('id')
      .execute();
    expect(log.map((r) => [r.login_role, r.effective_role, r.object])).toEqual([
      [reader, reader, 'orders'],
      [reader, reader, 'refills'],
      [reader, 'phi_reader', 'medication_request_events'],
    ]);
    expect(log[0]?.query).toContain("where order_id = 'ord_journey_1'");
    expect(log[2]?.query).toContain('count(*)');
    for (const row of log) expect(row.read_at.getTime()).toBeGreaterThan(startedAt.getTime());
  });

  it('cannot alter the audit trail, read the key or skip the audit', async () => {
    await as('phi_reader', async (conn) => {
      for (const query of [
        sql`select * from novamed.phi_access_log`,
        sql`delete from novamed.phi_access_log`,
        sql`update novamed.phi_access_log set query = ''`,
        sql`insert into novamed.phi_access_log (login_role, effective_role, object, backend_pid)
          values ('x', 'x', 'x', 0)`,
        sql`truncate novamed.phi_access_log`,
        sql`select * from novamed.pseudonym_key`,
        sql`select * from novamed_identified.orders`,
      ]) {
        await expect(query.execute(conn)).rejects.toThrow(/permission denied/);
      }
    });
  });
});

describe('docs/analytics.md', () => {
  it('runs every example query, each tier as its role', async () => {
    const doc = await readFile(new URL('../../../docs/analytics.md', import.meta.url), 'utf8');
    const examples = doc.slice(doc.indexOf('## Examples'));
    const start = examples.indexOf('```sql') + 6;
    const block = examples.slice(start, examples.indexOf('```', start));
    const statements = block
      .split(';')
      .map((s) => s.replace(/--.*$/gm, '').trim())
      .filter(Boolean);
    expect(statements.length).toBeGreaterThan(5);
    const journey = pseudonym(KEY, 'patient', 'pat_PHI_journey_1');
    for (const statement of statements) {
      const role = statement.includes('analytics_identified') ? 'phi_reader' : 'analytics_reader';
      const text = statement.replaceAll('5f0c3e9a2b7d41c8a6e1f2d3b4c5a697', journey);
      const rows = await as(role, (conn) => sql.raw(text).execute(conn));
      if (text.includes(journey)) expect(rows.rows.length, text).toBeGreaterThan(3);
    }
  });
});
