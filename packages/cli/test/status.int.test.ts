import { createServer } from 'node:net';
import { createDb, type Database } from '@novamed-stream/db';
import {
  createTestDatabase,
  createTestTopic,
  orderJourneys,
  testKafka,
  testStack,
  uniqueName,
} from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce } from './fixtures.js';
import { runCommand } from './run-command.js';

let kafka: Kafka;
let db: Kysely<Database>;
let drop: () => Promise<void>;
let env: Record<string, string>;
let topic: string;

beforeAll(async () => {
  kafka = testKafka('cli-status-test');
  const database = await createTestDatabase('cli_status');
  drop = database.drop;
  db = createDb({ connectionString: database.url, maxConnections: 2 });
  env = { KAFKA_BROKERS: testStack().kafkaBrokers.join(','), DATABASE_URL: database.url };
  topic = await createTestTopic({ prefix: 'cli-status', partitions: 2 });
});
afterAll(async () => {
  await db?.destroy();
  await drop?.();
});

describe('status', () => {
  it('shows each projector caught up, then behind by what arrived since, with its age', async () => {
    await produce(kafka, topic, orderJourneys({ runId: 'status', count: 50 }));
    const rebuilt = await runCommand(['rebuild', 'all', '--topic', topic], { env });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toMatch(/orders\s+ok\s+v1 live/);
    expect(rebuilt.stdout).toMatch(/refills\s+ok\s+v1 live/);

    const idle = await runCommand(['status', '--topic', topic, '--json'], { env });
    expect(idle.code, idle.stderr).toBe(0);
    const before = idle.json() as { projectors: Array<Record<string, unknown>>; messages: number };
    expect(before.messages).toBeGreaterThan(100);
    expect(before.projectors.map((p) => [p['projector'], p['liveVersion'], p['lag']])).toEqual([
      ['orders', 1, 0],
      ['medication_requests', 1, 0],
      ['refills', 1, 0],
    ]);
    expect(before.projectors[0]).toMatchObject({ rows: 50, unresolvedErrors: 0, behindSeconds: 0 });

    // No projector service runs here: what arrives now is lag, and it ages.
    const late = orderJourneys({ runId: 'status-late', count: 5 });
    await produce(kafka, topic, late);
    await new Promise((r) => setTimeout(r, 2200));
    // A downstream group that read up to offset 3 of each partition.
    const group = uniqueName('downstream');
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: [
        { partition: 0, offset: '3' },
        { partition: 1, offset: '3' },
      ],
    });
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();

    const behind = await runCommand(['status', '--topic', topic, '--json'], { env });
    const after = behind.json() as {
      projectors: Array<{ lag: number; behindSeconds: number; partitions: Array<{ lag: number }> }>;
      groups: Array<{ groupId: string; lag: number; state: string; members: number }>;
    };
    expect(after.projectors[0]?.lag).toBe(late.length);
    expect(after.projectors[0]?.behindSeconds).toBeGreaterThanOrEqual(1);
    expect(after.projectors[0]?.behindSeconds).toBeLessThan(30);
    const total = ends.reduce((n, e) => n + Number(e.high), 0);
    expect(after.groups.find((g) => g.groupId === group)).toMatchObject({
      lag: total - 6,
      state: 'Empty',
      members: 0,
    });

    const human = await runCommand(['status', '--topic', topic], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Projectors[\s\S]*orders\s+v1\s+50\s+\d+\s+14\s+\d+s/);
    expect(human.stdout).toContain('Live versions per partition');
    expect(human.stdout).toContain(group);
  }, 180_000);
});

describe('topics', () => {
  it('creates a topic with the advised settings, once, and describes it', async () => {
    const name = uniqueName('cli_topics');
    const created = await runCommand(
      ['topics', 'create', '--topic', name, '--partitions', '2', '--retention-days', '7', '--json'],
      { env },
    );
    expect(created.code, created.stdout + created.stderr).toBe(0);
    expect(created.json()).toMatchObject({ topics: [{ topic: name, created: true }] });
    const again = await runCommand(['topics', 'create', '--topic', name], { env });
    expect(again.stdout).toMatch(new RegExp(`${name}\\s+exists \\(left as is\\)\\s+2\\s+7d`));

    const described = await runCommand(['topics', 'describe', '--topic', name, '--json'], { env });
    expect(described.json()).toMatchObject({
      topics: [
        {
          topic: name,
          exists: true,
          partitions: [{ partition: 0 }, { partition: 1 }],
          config: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 86_400_000) },
          warnings: [],
        },
      ],
    });
  });

  it('warns about a compacted topic and a missing one', async () => {
    const compacted = await createTestTopic({
      prefix: 'cli-compacted',
      config: { 'cleanup.policy': 'compact' },
    });
    const described = await runCommand(['topics', 'describe', '--topic', compacted], { env });
    expect(described.code).toBe(0);
    expect(described.stderr).toMatch(
      /is compacted: compaction keeps only the latest message per key/,
    );
    const missing = await runCommand(['status', '--topic', 'no.such.topic'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Topic no\.such\.topic does not exist[\s\S]*topics create/);
  });

  it('says what to do when the broker cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const result = await runCommand(['topics', 'describe', '--brokers', `127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `Cannot reach Kafka at 127.0.0.1:${port} (from the command line)`,
    );
  }, 60_000);
});
