import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDb, type Database } from '@novamed-stream/db';
import { decodeEvent, type NovaMedEvent } from '@novamed-stream/events';
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
import { stateFromRow } from '../src/index.js';
import { type RawEvent, toKafkaMessage } from './fixtures.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const main = `${root}services/projector-orders/src/main.ts`;

let db: Kysely<Database>;
let database: { url: string; drop(): Promise<void> };
let topic: string;
const events: RawEvent[] = orderJourneys({ runId: 'crash', count: 10_000, seed: 21 });
const children: ChildProcess[] = [];
let stderr = '';

function startService(healthPort = 0): ChildProcess {
  // One node process (tsx as a loader, not its CLI wrapper), so SIGKILL hits the projector itself.
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', main], {
    cwd: root,
    env: {
      ...process.env,
      KAFKA_BROKERS: testStack().kafkaBrokers.join(','),
      DATABASE_URL: database.url,
      EVENTS_TOPIC: topic,
      DEAD_LETTER_TOPIC: `${topic}.dead`,
      TOPIC_PARTITIONS: '1',
      HEALTH_PORT: String(healthPort),
      LOG_LEVEL: 'warn',
      // A SIGKILLed member holds its partitions until its session times out.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  children.push(child);
  return child;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function applied(): Promise<number> {
  const rows = await db
    .selectFrom('novamed.projection_checkpoints')
    .select((eb) => eb.fn.sum<string>('next_offset').as('n'))
    .where('topic', '=', topic)
    .executeTakeFirst()
    .catch(() => undefined);
  return Number(rows?.n ?? 0);
}

async function until(check: () => Promise<boolean>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

beforeAll(async () => {
  database = await createTestDatabase('crash');
  db = createDb({ connectionString: database.url });
  topic = await createTestTopic({ prefix: 'proj-crash', partitions: 3 });
  const producer = testKafka('crash-producer').producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  for (let i = 0; i < events.length; i += 1000) {
    await producer.send({
      topic,
      acks: -1,
      messages: events.slice(i, i + 1000).map(toKafkaMessage),
    });
  }
  await producer.disconnect();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await db?.destroy();
  await database?.drop();
});

describe('a projector SIGKILLed mid-stream', () => {
  it('resumes from its checkpoints: the state equals a clean run and nothing is counted twice', async () => {
    const total = events.length;
    const killedAt: number[] = [];
    for (const fraction of [0.1, 0.35, 0.6]) {
      const child = startService();
      await until(async () => (await applied()) >= total * fraction);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      killedAt.push(await applied());
    }
    // Each kill landed mid-stream, or the test would prove nothing.
    expect(
      killedAt.every((n) => n > 0 && n < total),
      `killed at ${killedAt}`,
    ).toBe(true);
    const port = await freePort();
    const last = startService(port);
    await until(async () => (await applied()) === total);
    await until(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true,
    );
    last.kill('SIGTERM');
    const code = await new Promise((r) => last.once('exit', r));
    expect(code, stderr.slice(-2000)).toBe(0);

    const rows = (
      await sql<Record<string, unknown>>`select * from orders_v1.orders order by order_id`.execute(
        db,
      )
    ).rows;
    const byOrder = new Map<string, NovaMedEvent[]>();
    for (const raw of events) {
      const decoded = decodeEvent(Buffer.from(JSON.stringify(raw)));
      if (!decoded.ok) throw new Error('bad fixture');
      const id = String(raw.data['order_id']);
      byOrder.set(id, [...(byOrder.get(id) ?? []), decoded.event]);
    }
    const clean = [...byOrder.keys()]
      .sort()
      .map((id) => project(ordersProjector.readModel, byOrder.get(id) ?? []));
    expect(rows.map((r) => stateFromRow(ordersProjector, r))).toEqual(clean);
    expect(rows.reduce((n, r) => n + Number(r['events_applied']), 0)).toBe(total);
    const history = await sql<{
      n: string;
    }>`select count(*) as n from orders_v1.order_events`.execute(db);
    expect(Number(history.rows[0]?.n)).toBe(total);
  });
});
