import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDb, type Database } from '@novamed-stream/db';
import { decodeEvent, type NovaMedEvent } from '@novamed-stream/events';
import {
  type ProjectorService,
  readProjectorServiceEnv,
  runProjectorService,
  stateFromRow,
} from '@novamed-stream/projection';
import { ordersProjector } from '@novamed-stream/projectors';
import { project } from '@novamed-stream/read-models';
import {
  createTestDatabase,
  createTestTopic,
  orderJourneys,
  type TestDatabase,
  testKafka,
  testStack,
} from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce, type RawEvent, waitFor } from './fixtures.js';
import { runCommand } from './run-command.js';

let kafka: Kafka;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(() => {
  kafka = testKafka('cli-rebuild-test');
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function database(prefix: string): Promise<{ db: Kysely<Database>; test: TestDatabase }> {
  const test = await createTestDatabase(prefix);
  const db = createDb({ connectionString: test.url, maxConnections: 4 });
  cleanups.push(
    () => test.drop(),
    () => db.destroy(),
  );
  return { db, test };
}

function cliEnv(url: string): Record<string, string> {
  return { KAFKA_BROKERS: testStack().kafkaBrokers.join(','), DATABASE_URL: url };
}

/** The pure fold of every distinct order event: what any correct version must hold. */
function expectedOrders(events: readonly RawEvent[]) {
  const byOrder = new Map<string, NovaMedEvent[]>();
  for (const raw of events) {
    const decoded = decodeEvent(JSON.stringify(raw));
    if (!decoded.ok) throw new Error('invalid fixture');
    const id = String(raw.data['order_id']);
    byOrder.set(id, [...(byOrder.get(id) ?? []), decoded.event]);
  }
  return [...byOrder.keys()]
    .sort()
    .map((id) => project(ordersProjector.readModel, byOrder.get(id) ?? []));
}

async function storedOrders(db: Kysely<Database>, version: number) {
  const rows = await sql<Record<string, unknown>>`
    select * from ${sql.table(`orders_v${version}.orders`)} order by order_id`.execute(db);
  return rows.rows.map((r) => stateFromRow(ordersProjector, r));
}

async function caughtUp(db: Kysely<Database>, topic: string, version: number): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const rows = await db
    .selectFrom('novamed.projection_checkpoints')
    .select(['partition', 'next_offset'])
    .where('projector', '=', 'orders')
    .where('version', '=', version)
    .where('topic', '=', topic)
    .execute();
  const at = new Map(rows.map((r) => [r.partition, r.next_offset]));
  return ends.every((e) => e.high === '0' || at.get(e.partition) === e.high);
}

async function versionStatuses(db: Kysely<Database>) {
  const rows = await db
    .selectFrom('novamed.projection_versions')
    .select(['version', 'status'])
    .where('projector', '=', 'orders')
    .orderBy('version')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.version, r.status]));
}

async function viewSchema(db: Kysely<Database>): Promise<string> {
  const row = await sql<{ definition: string }>`
    select definition from pg_views where schemaname = 'analytics' and viewname = 'orders'`.execute(
    db,
  );
  return /orders_v\d+/.exec(row.rows[0]?.definition ?? '')?.[0] ?? 'none';
}

describe('rebuild while the live projector keeps consuming', () => {
  it('ends with the new version equal to the live one, no event missed, and the service on it', async () => {
    const { db, test } = await database('cli_rebuild_flow');
    const topic = await createTestTopic({ prefix: 'cli-rebuild-flow', partitions: 3 });
    const deadLetter = await createTestTopic({ prefix: 'cli-rebuild-flow-dlq' });
    const runId = topic.slice(-8);
    const service: ProjectorService = await runProjectorService(
      ordersProjector,
      readProjectorServiceEnv(
        {
          ...cliEnv(test.url),
          EVENTS_TOPIC: topic,
          DEAD_LETTER_TOPIC: deadLetter,
          HEALTH_HOST: '127.0.0.1',
          VERSION_POLL_MS: '250',
          KAFKA_SESSION_TIMEOUT_MS: '6000',
          LOG_LEVEL: 'silent',
        },
        { HEALTH_PORT: 0 },
      ),
    );
    cleanups.push(() => service.stop());
    expect(service.version).toBe(1);

    const sent: RawEvent[] = orderJourneys({ runId: runId, count: 1500 });
    await produce(kafka, topic, sent);
    await waitFor('v1 caught up', () => caughtUp(db, topic, 1));

    // Events keep arriving during the whole rebuild, redeliveries included.
    let producing = true;
    const producer = (async () => {
      for (let n = 1500; producing; n += 40) {
        const batch = orderJourneys({ runId: runId, from: n, count: 40 });
        const redelivered = sent.slice(n - 300, n - 290);
        await produce(kafka, topic, [...batch, ...redelivered]);
        sent.push(...batch);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const result = await runCommand(['rebuild', 'orders', '--topic', topic, '--json'], {
      env: cliEnv(test.url),
    });
    producing = false;
    await producer;
    expect(result.code, result.stderr).toBe(0);
    const events = result.documents();
    expect(events[0]).toMatchObject({
      type: 'started',
      version: 2,
      liveVersion: 1,
      resumed: false,
    });
    expect(events.some((e) => e['type'] === 'progress')).toBe(true);
    expect(events.find((e) => e['type'] === 'verified')).toMatchObject({
      verification: { mode: 'identical', ok: true },
    });
    expect(events.find((e) => e['type'] === 'handed-off')).toMatchObject({ handoff: 'service' });
    expect(result.json()).toMatchObject({ type: 'result', ok: true });

    // The swap: views on v2, v1 retired, and the service consumes v2 from the rebuild's place.
    expect(await versionStatuses(db)).toEqual({ 1: 'retired', 2: 'live' });
    expect(await viewSchema(db)).toBe('orders_v2');
    await waitFor('the service on v2', () => service.version === 2, 10_000);
    const finalBatch = orderJourneys({ runId: runId, from: 100_000, count: 50 });
    await produce(kafka, topic, finalBatch);
    sent.push(...finalBatch);
    await waitFor('v2 caught up by the service', () => caughtUp(db, topic, 2));

    expect(await storedOrders(db, 2)).toEqual(expectedOrders(sent));
    const analytics = await sql<{
      n: string;
    }>`select count(*)::text as n from analytics.orders`.execute(db);
    expect(Number(analytics.rows[0]?.n)).toBe(new Set(sent.map((e) => e.data['order_id'])).size);
    // v1 stopped where the service left it: it no longer receives events.
    expect(await caughtUp(db, topic, 1)).toBe(false);
    await service.stop();
  }, 240_000);
});

describe('an interrupted rebuild', () => {
  let db: Kysely<Database>;
  let url: string;
  let topic: string;
  let events: RawEvent[];

  beforeAll(async () => {
    const created = await database('cli_rebuild_kill');
    db = created.db;
    url = created.test.url;
    topic = await createTestTopic({ prefix: 'cli-rebuild-kill', partitions: 3 });
    events = orderJourneys({ runId: topic.slice(-8), count: 12_000 });
    await produce(kafka, topic, events);
  });

  it('builds the first version when there is none, and makes it live', async () => {
    const result = await runCommand(['rebuild', 'orders', '--topic', topic, '--json'], {
      env: cliEnv(url),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.documents().find((e) => e['type'] === 'verified')).toMatchObject({
      verification: { mode: 'first', ok: true },
    });
    expect(await versionStatuses(db)).toEqual({ 1: 'live' });
    expect(await storedOrders(db, 1)).toEqual(expectedOrders(events));
  }, 180_000);

  it('killed halfway, leaves the live version serving, and resumes when rerun', async () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        '--conditions=source',
        main,
        'rebuild',
        'orders',
        '--topic',
        topic,
        '--json',
      ],
      { env: { ...process.env, ...cliEnv(url) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(async () => child.kill('SIGKILL'));
    let killedAt: { done: number; total: number } | undefined;
    let buffered = '';
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line) as { type: string; done?: number; total?: number };
        if (
          !killedAt &&
          event.type === 'progress' &&
          event.done! > 0 &&
          event.done! < event.total!
        ) {
          killedAt = { done: event.done!, total: event.total! };
          child.kill('SIGKILL');
        }
      }
    });
    await exited;
    expect(killedAt, 'the rebuild was killed mid-way').toBeDefined();

    // The live version is untouched and still what analysts read.
    expect(await versionStatuses(db)).toEqual({ 1: 'live', 2: 'building' });
    expect(await viewSchema(db)).toBe('orders_v1');
    const served = await sql<{
      n: string;
    }>`select count(*)::text as n from analytics.orders`.execute(db);
    expect(Number(served.rows[0]?.n)).toBe(12_000);

    const rerun = await runCommand(['rebuild', 'orders', '--topic', topic, '--json'], {
      env: cliEnv(url),
    });
    expect(rerun.code, rerun.stderr).toBe(0);
    const started = rerun.documents()[0] as { resumed: boolean; version: number; total: number };
    expect(started).toMatchObject({ type: 'started', version: 2, resumed: true });
    expect(started.total).toBeLessThan(killedAt!.total);
    expect(await versionStatuses(db)).toEqual({ 1: 'retired', 2: 'live' });
    expect(await storedOrders(db, 2)).toEqual(expectedOrders(events));
  }, 240_000);

  it('refuses to swap a version that differs from the live one; --logic-changed accepts it', async () => {
    // Corrupt the live version: the rebuild recomputes the truth from the topic.
    const id = String(events[0]?.data['order_id']);
    await sql`update orders_v2.orders set carrier = 'Tampered' where order_id = ${id}`.execute(db);
    const refused = await runCommand(['rebuild', 'orders', '--topic', topic], { env: cliEnv(url) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/checksum\s+FAILED: 1 of 12,000 rows differ/);
    expect(refused.stderr).toMatch(/does not match the live version[\s\S]*hint:.*--logic-changed/);
    expect(await versionStatuses(db)).toEqual({ 1: 'retired', 2: 'live', 3: 'building' });
    expect(await viewSchema(db)).toBe('orders_v2');

    const accepted = await runCommand(['rebuild', 'orders', '--topic', topic, '--logic-changed'], {
      env: cliEnv(url),
    });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stderr).toContain('resuming from its checkpoints');
    expect(accepted.stderr).toMatch(/checksum\s+differs \(expected\)/);
    expect(accepted.stdout).toContain('orders: v3 live');
    expect(await viewSchema(db)).toBe('orders_v3');
    const row = await sql<{ carrier: string | null }>`
      select carrier from analytics.orders where order_id = ${id}`.execute(db);
    expect(row.rows[0]?.carrier).not.toBe('Tampered');
  }, 180_000);

  it('runs one rebuild per projector at a time', async () => {
    await db.connection().execute(async (session) => {
      await sql`select pg_advisory_lock(hashtext('novamed-rebuild:orders'))`.execute(session);
      try {
        const result = await runCommand(['rebuild', 'orders', '--topic', topic, '--json'], {
          env: cliEnv(url),
        });
        expect(result.code).toBe(1);
        expect(result.json()).toMatchObject({ ok: false, error: { code: 'REBUILD_RUNNING' } });
      } finally {
        await sql`select pg_advisory_unlock(hashtext('novamed-rebuild:orders'))`.execute(session);
      }
    });
  });

  it('lists the versions and drops an old one, never the live one', async () => {
    const listed = await runCommand(['versions', 'orders', '--json'], { env: cliEnv(url) });
    expect(listed.code).toBe(0);
    expect(listed.json()['versions']).toMatchObject([
      { version: 1, status: 'retired', rows: 12_000, sameLogic: true },
      { version: 2, status: 'retired', rows: 12_000 },
      { version: 3, status: 'live', rows: 12_000 },
    ]);
    const human = await runCommand(['versions'], { env: cliEnv(url) });
    expect(human.stdout).toMatch(/orders\s+v3\s+live\s+orders_v3\s+12,000/);

    const live = await runCommand(['drop-version', 'orders', '3', '--topic', topic], {
      env: cliEnv(url),
    });
    expect(live.code).toBe(1);
    expect(live.stderr).toContain('orders v3 is live');
    const dropped = await runCommand(['drop-version', 'orders', 'v1', '--topic', topic, '--json'], {
      env: cliEnv(url),
    });
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.json()).toMatchObject({ ok: true, schema: 'orders_v1', groupDeleted: true });
    const schemas = await sql<{ n: string }>`
      select count(*)::text as n from information_schema.schemata where schema_name = 'orders_v1'`.execute(
      db,
    );
    expect(schemas.rows[0]?.n).toBe('0');
    expect(await versionStatuses(db)).toEqual({ 2: 'retired', 3: 'live' });
  });

  it('stops cleanly on Ctrl-C (exit 130), and a building version is dropped only with --force', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 2500);
    const stopped = await runCommand(['rebuild', 'orders', '--topic', topic], {
      env: cliEnv(url),
      signal: controller.signal,
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('Stopped. The live version is untouched');
    expect(await versionStatuses(db)).toEqual({ 2: 'retired', 3: 'live', 4: 'building' });
    expect(await viewSchema(db)).toBe('orders_v3');

    const refused = await runCommand(['drop-version', 'orders', '4', '--topic', topic], {
      env: cliEnv(url),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/building version[\s\S]*--force/);
    const forced = await runCommand(['drop-version', 'orders', '4', '--topic', topic, '--force'], {
      env: cliEnv(url),
    });
    expect(forced.code, forced.stderr).toBe(0);
    expect(await versionStatuses(db)).toEqual({ 2: 'retired', 3: 'live' });
  }, 120_000);
});
