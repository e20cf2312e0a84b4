import { createDb, type Database } from '@novamed-stream/db';
import { decodeEvent, type NovaMedEvent } from '@novamed-stream/events';
import { stateFromRow } from '@novamed-stream/projection';
import { ordersProjector } from '@novamed-stream/projectors';
import { project } from '@novamed-stream/read-models';
import {
  createTestDatabase,
  createTestTopic,
  orderJourneys,
  testKafka,
  testStack,
} from '@novamed-stream/testkit';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce, type RawEvent } from './fixtures.js';
import { runCommand } from './run-command.js';

let db: Kysely<Database>;
let drop: () => Promise<void>;
let env: Record<string, string>;
let topic: string;

// An order shipped without a carrier: invalid for order:shipped, so the projector rejects it.
const invalid: RawEvent = {
  event_type: 'order:shipped',
  event_id: 'evt_errors_invalid',
  timestamp: '2025-01-15T10:30:00.000Z',
  clinic_id: 'clinic_0',
  data: { order_id: 'ord_errors_invalid', patient_id: 'pat_1', medication_request_id: 'mr_1' },
};
// A valid event we later pretend an older release had rejected.
const lone: RawEvent = {
  event_type: 'order:delivered',
  event_id: 'evt_errors_lone',
  timestamp: '2025-01-16T10:30:00.000Z',
  clinic_id: 'clinic_1',
  data: { order_id: 'ord_errors_lone', delivered_at: '2025-01-16T10:29:00.000Z' },
};

beforeAll(async () => {
  const database = await createTestDatabase('cli_errors');
  drop = database.drop;
  db = createDb({ connectionString: database.url, maxConnections: 2 });
  env = { KAFKA_BROKERS: testStack().kafkaBrokers.join(','), DATABASE_URL: database.url };
  topic = await createTestTopic({ prefix: 'cli-errors', partitions: 1 });
  await produce(testKafka('cli-errors-test'), topic, [
    ...orderJourneys({ runId: 'errors', count: 5 }),
    invalid,
    lone,
  ]);
  const built = await runCommand(['rebuild', 'orders', '--topic', topic], { env });
  expect(built.code, built.stderr).toBe(0);
});
afterAll(async () => {
  await db?.destroy();
  await drop?.();
});

describe('errors list and retry', () => {
  it('lists what the projector rejected, with the reason and no payload values', async () => {
    const listed = await runCommand(['errors', 'list', '--json'], { env });
    expect(listed.code).toBe(0);
    const errors = listed.json()['errors'] as Array<Record<string, unknown>>;
    expect(errors).toMatchObject([
      {
        projector: 'orders',
        version: 1,
        eventId: 'evt_errors_invalid',
        eventType: 'order:shipped',
        reason: 'INVALID_DATA',
        resolvedAt: null,
      },
    ]);
    expect(JSON.stringify(errors)).not.toContain('pat_1');
    const human = await runCommand(['errors', 'list', '--projector', 'orders'], { env });
    expect(human.stdout).toMatch(
      /orders v1\s+evt_errors_invalid\s+order:shipped\s+0\/\d+\s+INVALID_DATA/,
    );
  });

  it('keeps an event that is still invalid unresolved, and exits 1 saying why', async () => {
    const retried = await runCommand(['errors', 'retry'], { env });
    expect(retried.code).toBe(1);
    expect(retried.stdout).toMatch(
      /evt_errors_invalid\s+0\/\d+\s+STILL_REJECTED\s+INVALID_DATA: data/,
    );
    expect(retried.stderr).toContain('1 of 1 error(s) could not be re-applied');
  });

  it('re-applies an event once it is usable: row restored, error resolved, twice is harmless', async () => {
    // As if an older release had rejected `lone`: not in the history, no row, an error row.
    const { offset } = (
      await sql<{ offset: string }>`select "offset"::text as offset from orders_v1.order_events
        where event_id = ${lone.event_id}`.execute(db)
    ).rows[0]!;
    await sql`delete from orders_v1.order_events where event_id = ${lone.event_id}`.execute(db);
    await sql`delete from orders_v1.orders where order_id = 'ord_errors_lone'`.execute(db);
    await db
      .insertInto('novamed.projection_errors')
      .values({
        projector: 'orders',
        version: 1,
        event_id: lone.event_id,
        event_type: lone.event_type,
        topic,
        partition: 0,
        offset,
        reason: 'INVALID_DATA',
        details: JSON.stringify(['data.delivered_at: rejected by an older release']),
      })
      .execute();
    const id = (await runCommand(['errors', 'list', '--json'], { env })).json()['errors'] as Array<{
      id: string;
      eventId: string;
    }>;
    const loneId = id.find((e) => e.eventId === lone.event_id)!.id;

    const retried = await runCommand(['errors', 'retry', '--id', loneId, '--json'], { env });
    expect(retried.code, retried.stdout).toBe(0);
    expect(retried.json()).toMatchObject({
      ok: true,
      retried: [{ id: loneId, outcome: 'APPLIED' }],
    });

    const row = await sql<Record<string, unknown>>`
      select * from orders_v1.orders where order_id = 'ord_errors_lone'`.execute(db);
    const decoded = decodeEvent(JSON.stringify(lone));
    expect(stateFromRow(ordersProjector, row.rows[0]!)).toEqual(
      project(ordersProjector.readModel, [(decoded as { event: NovaMedEvent }).event]),
    );
    const unresolved = (await runCommand(['errors', 'list', '--json'], { env })).json()['errors'];
    expect((unresolved as unknown[]).map((e) => (e as { eventId: string }).eventId)).toEqual([
      'evt_errors_invalid',
    ]);
    const all = (await runCommand(['errors', 'list', '--all', '--json'], { env })).json()['errors'];
    expect(
      (all as Array<{ resolvedAt: string | null }>).filter((e) => e.resolvedAt !== null),
    ).toHaveLength(1);

    const again = await runCommand(['errors', 'retry', '--id', loneId], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No unresolved errors to retry.');
  });
});
