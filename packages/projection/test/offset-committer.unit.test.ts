import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { OffsetCommitter } from '../src/offset-committer.js';
import { FakeConsumer } from './fake-projection-kafka.js';

const topic = 't';

function setup(intervalMs: number) {
  const consumer = new FakeConsumer({} as never);
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (_: object, msg?: string) => warnings.push(msg ?? '') };
  const current: { consumer: FakeConsumer | undefined } = { consumer };
  const committer = new OffsetCommitter({
    topic,
    intervalMs,
    consumer: () => current.consumer,
    logger,
  });
  return { consumer, committer, warnings, current };
}

describe('OffsetCommitter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('with interval 0, each batch awaits the commit of its position', async () => {
    const { consumer, committer } = setup(0);
    await committer.committed(0, '10', true);
    expect(consumer.commits).toEqual([[{ topic, partition: 0, offset: '10' }]]);
    await committer.committed(1, '5', true);
    expect(consumer.commits).toHaveLength(2);
  });

  it('with an interval, coalesces positions (the latest per partition) into one commit', async () => {
    const { consumer, committer } = setup(200);
    await committer.committed(0, '10', true);
    await committer.committed(1, '3', true);
    await committer.committed(0, '20', true);
    expect(consumer.commits).toEqual([]);
    await vi.advanceTimersByTimeAsync(199);
    expect(consumer.commits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(consumer.commits).toEqual([
      [
        { topic, partition: 0, offset: '20' },
        { topic, partition: 1, offset: '3' },
      ],
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(consumer.commits).toHaveLength(1);
  });

  it('with an interval, a batch of a stopping consumer neither waits for a commit nor sends one; flush() commits it', async () => {
    const { consumer, committer } = setup(60_000);
    consumer.holdCommits = true;
    await committer.committed(0, '5', true);
    void committer.flush(); // a commit in flight that does not settle (the broker is away)
    await vi.advanceTimersByTimeAsync(0);
    expect(consumer.commitRequests).toBe(1);
    // The batch returns at once: kafkajs waits for it before it can stop (or restart) the consumer.
    let returned = false;
    void committer.committed(2, '7', false).then(() => {
      returned = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(returned).toBe(true);
    expect(consumer.commitRequests).toBe(1);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(consumer.commitRequests).toBe(1); // and no timer was armed for it
    consumer.holdCommits = false;
    consumer.releaseCommit();
    await committer.flush();
    expect(consumer.commits).toEqual([
      [{ topic, partition: 0, offset: '5' }],
      [{ topic, partition: 2, offset: '7' }],
    ]);
  });

  it('keeps positions pending while no consumer is in the group, and commits them once one is', async () => {
    const { consumer, committer, current } = setup(100);
    current.consumer = undefined;
    await committer.committed(0, '10', true);
    await vi.advanceTimersByTimeAsync(100);
    expect(consumer.commitRequests).toBe(0);
    current.consumer = consumer;
    await committer.committed(1, '4', true);
    await vi.advanceTimersByTimeAsync(100);
    expect(consumer.commits).toEqual([
      [
        { topic, partition: 0, offset: '10' },
        { topic, partition: 1, offset: '4' },
      ],
    ]);
  });

  it('drops the pending positions of revoked partitions', async () => {
    const { consumer, committer } = setup(100);
    await committer.committed(0, '10', true);
    await committer.committed(1, '11', true);
    committer.retain([1]);
    await committer.flush();
    expect(consumer.commits).toEqual([[{ topic, partition: 1, offset: '11' }]]);
  });

  it('sends one commit at a time, in order, so offsets never go backwards', async () => {
    const { consumer, committer } = setup(0);
    consumer.holdCommits = true;
    const first = committer.committed(0, '10', true);
    await vi.advanceTimersByTimeAsync(0); // the first commit is in flight
    const second = committer.committed(0, '20', true);
    await vi.advanceTimersByTimeAsync(0);
    expect(consumer.commits).toEqual([]);
    expect(consumer.commitRequests).toBe(1); // the second waits for the first
    consumer.releaseCommit();
    await first;
    expect(consumer.commits).toEqual([[{ topic, partition: 0, offset: '10' }]]);
    consumer.releaseCommit();
    await second;
    expect(consumer.commits.map((c) => c[0]?.offset)).toEqual(['10', '20']);
  });

  it('logs a failed commit instead of failing the batch (Postgres is authoritative)', async () => {
    const { consumer, committer, warnings } = setup(0);
    consumer.failCommits = true;
    await expect(committer.committed(0, '10', true)).resolves.toBeUndefined();
    expect(warnings).toEqual([
      'offset commit to Kafka failed; the checkpoint in Postgres is authoritative',
    ]);
  });

  it('commits nothing without a consumer, and nothing when nothing is pending', async () => {
    const { consumer, committer, current } = setup(0);
    await committer.flush();
    expect(consumer.commits).toEqual([]);
    current.consumer = undefined;
    await committer.committed(0, '1', true);
    expect(consumer.commits).toEqual([]);
  });
});
