import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Database, pseudonym } from '@novamed-stream/db';
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

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** One refill requested per order of {@link orderJourneys}, by the same patient. */
function refillEvents(runId: string, count: number): RawEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    event_type: 'refill:requested',
    event_id: `evt_${runId}_refill_${i}`,
    timestamp: new Date(Date.parse('2025-02-01T08:00:00.000Z') + i * 1000).toISOString(),
    clinic_id: `clinic_${i % 3}`,
    data: {
      refill_id: `rf_${runId}_${i}`,
      medication_request_id: `mr_${runId}_${i}`,
      patient_id: `pat_${runId}_${i}`,
    },
  }));
}

describe('novamed-stream pseudonym-key rotate', () => {
  const COUNT = 6;
  let db: Kysely<Database>;
  let env: Record<string, string>;
  let topic: string;
  let runId: string;
  let keyDir: string;

  beforeAll(async () => {
    const test = await createTestDatabase('cli_pseudonym_key');
    db = createDb({ connectionString: test.url, maxConnections: 2 });
    cleanups.push(
      () => test.drop(),
      () => db.destroy(),
    );
    env = { KAFKA_BROKERS: testStack().kafkaBrokers.join(','), DATABASE_URL: test.url };
    topic = await createTestTopic({ prefix: 'cli-pseudonym-key', partitions: 2 });
    runId = topic.slice(-8);
    await produce(testKafka('cli-pseudonym-key-test'), topic, [
      ...orderJourneys({ runId: runId, count: COUNT }),
      ...refillEvents(runId, COUNT),
    ]);
    keyDir = await mkdtemp(join(tmpdir(), 'novamed-pseudonym-key-'));
    cleanups.push(() => rm(keyDir, { recursive: true, force: true }));
  });

  /** Per patient index: the pseudonym analytics.orders and analytics.refills show. */
  async function pseudonyms(): Promise<{ orders: string[]; refills: string[] }> {
    return db.connection().execute(async (conn) => {
      await sql`set role analytics_reader`.execute(conn);
      const read = async (view: string, id: string, prefix: string) => {
        const rows = await sql<{ id: string; p: string }>`
          select ${sql.ref(id)} as id, patient_pseudonym as p
          from ${sql.table(`analytics.${view}`)}`.execute(conn);
        const byIndex = new Map(rows.rows.map((r) => [Number(r.id.slice(prefix.length)), r.p]));
        return Array.from({ length: COUNT }, (_, i) => byIndex.get(i) ?? 'missing');
      };
      const result = {
        orders: await read('orders', 'order_id', `ord_${runId}_`),
        refills: await read('refills', 'refill_id', `rf_${runId}_`),
      };
      await sql`reset role`.execute(conn);
      return result;
    });
  }

  async function rebuild(projection: string): Promise<void> {
    const result = await runCommand(['rebuild', projection, '--topic', topic, '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
  }

  it('replaces every pseudonym at once, keeps them across a rebuild, never prints the key', async () => {
    await rebuild('orders');
    await rebuild('refills');
    const first = await pseudonyms();
    expect(first.orders).not.toContain('missing');
    expect(first.refills).toEqual(first.orders);
    expect(new Set(first.orders).size).toBe(COUNT);

    const key = randomBytes(32);
    const keyFile = join(keyDir, 'key');
    await writeFile(keyFile, key);
    const rotated = await runCommand(['pseudonym-key', 'rotate', '--key-file', keyFile, '--json'], {
      env,
    });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.json()).toMatchObject({
      ok: true,
      keyVersion: 2,
      previousKeyVersion: 1,
      source: 'file',
    });
    expect(rotated.stdout + rotated.stderr).not.toContain(key.toString('hex'));
    const second = await pseudonyms();
    const expected = Array.from({ length: COUNT }, (_, i) =>
      pseudonym(key, 'patient', `pat_${runId}_${i}`),
    );
    expect(second).toEqual({ orders: expected, refills: expected });
    expect(second.orders.filter((p) => first.orders.includes(p))).toEqual([]);

    // A rebuild swaps in a new version: the pseudonyms stay those of the current key.
    await rebuild('orders');
    const live = await db
      .selectFrom('novamed.projection_versions')
      .select('version')
      .where('projector', '=', 'orders')
      .where('status', '=', 'live')
      .executeTakeFirstOrThrow();
    expect(live.version).toBe(2);
    expect(await pseudonyms()).toEqual(second);

    const random = await runCommand(['pseudonym-key', 'rotate'], { env });
    expect(random.code, random.stderr).toBe(0);
    expect(random.stdout).toContain('version 2 -> 3');
    const third = await pseudonyms();
    expect(third.refills).toEqual(third.orders);
    expect(third.orders.filter((p) => second.orders.includes(p))).toEqual([]);
  });

  it('refuses a short key file and an unreadable one, and leaves the key alone', async () => {
    const before = await db.selectFrom('novamed.pseudonym_key').selectAll().executeTakeFirst();
    const short = join(keyDir, 'short');
    await writeFile(short, randomBytes(16));
    const refused = await runCommand(['pseudonym-key', 'rotate', '--key-file', short, '--json'], {
      env,
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('KEY_TOO_SHORT');
    const missing = await runCommand(
      ['pseudonym-key', 'rotate', '--key-file', join(keyDir, 'none')],
      { env },
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Cannot read the key file');
    expect(await db.selectFrom('novamed.pseudonym_key').selectAll().executeTakeFirst()).toEqual(
      before,
    );
  });
});
