import { createEventConsumer } from '@novamed-stream/consumer';
import {
  createTestTopic,
  orderJourneys,
  testKafka,
  testStack,
  uniqueName,
} from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { produce, waitFor } from './fixtures.js';
import { runCommand } from './run-command.js';

let kafka: Kafka;
let topic: string;
let env: Record<string, string>;
const groupId = uniqueName('billing_sync');
let afterFirstBatch = 0;

beforeAll(async () => {
  kafka = testKafka('cli-replay-test');
  env = { KAFKA_BROKERS: testStack().kafkaBrokers.join(',') };
  topic = await createTestTopic({ prefix: 'cli-replay', partitions: 2 });
  await produce(kafka, topic, orderJourneys({ runId: 'replayA', count: 10 })); // 30 events
  await new Promise((r) => setTimeout(r, 50));
  afterFirstBatch = Date.now();
  await new Promise((r) => setTimeout(r, 100));
  await produce(kafka, topic, orderJourneys({ runId: 'replayB', count: 4 })); // 11 events
});

/** A downstream service: reads the topic in `groupId` until it has seen `expected` events. */
async function downstream(expected: number, settleMs = 1500) {
  const seen: string[] = [];
  const consumer = createEventConsumer({
    kafka,
    groupId,
    topic,
    dedup: false,
    onEvent: (event) => {
      seen.push(event.event_id);
    },
  });
  await consumer.start();
  return {
    seen,
    async done() {
      await waitFor(`${expected} events`, () => seen.length >= expected, 30_000);
      await new Promise((r) => setTimeout(r, settleMs)); // nothing more arrives
      await consumer.stop();
      return seen;
    },
    stop: () => consumer.stop(),
  };
}

describe('replay moves a downstream group back, and the group rereads', () => {
  it('refuses while the group has active members', async () => {
    const running = await downstream(41, 0);
    await waitFor('all read', () => running.seen.length >= 41, 30_000);
    const refused = await runCommand(
      ['replay', '--group', groupId, '--to', 'earliest', '--topic', topic],
      { env },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/has 1 active member\(s\)/);
    expect(refused.stderr).toMatch(/hint: Stop every consumer of the group/);
    await running.stop();
  });

  it('--dry-run shows the move without making it', async () => {
    const dry = await runCommand(
      ['replay', '--group', groupId, '--to', 'earliest', '--topic', topic, '--dry-run', '--json'],
      { env },
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json()).toMatchObject({ ok: true, dryRun: true, reread: 41 });
    const again = await downstream(0, 1500);
    expect(await again.done()).toEqual([]);
  });

  it('--to earliest: the group rereads everything', async () => {
    const moved = await runCommand(
      ['replay', '--group', groupId, '--to', 'earliest', '--topic', topic],
      { env },
    );
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/Moved .* to earliest: its consumers reread 41 messages/);
    const reread = await (await downstream(41)).done();
    expect(reread).toHaveLength(41);
  });

  it('--to <time>: the group rereads only what was written since', async () => {
    const moved = await runCommand(
      [
        'replay',
        '--group',
        groupId,
        '--to',
        new Date(afterFirstBatch).toISOString(),
        '--topic',
        topic,
        '--json',
      ],
      { env },
    );
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.json()).toMatchObject({ reread: 11 });
    const reread = await (await downstream(11)).done();
    expect(reread.sort()).toEqual(
      orderJourneys({ runId: 'replayB', count: 4 })
        .map((e) => e.event_id)
        .sort(),
    );
  });

  it('--to latest: the group skips to the end', async () => {
    await runCommand(['replay', '--group', groupId, '--to', 'earliest', '--topic', topic], { env });
    const moved = await runCommand(
      ['replay', '--group', groupId, '--to', 'latest', '--topic', topic, '--json'],
      {
        env,
      },
    );
    expect(moved.code).toBe(0);
    expect(moved.json()).toMatchObject({ reread: -41 });
    expect(await (await downstream(0)).done()).toEqual([]);
  });
});
