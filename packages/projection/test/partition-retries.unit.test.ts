import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Failure } from '../src/classify-failure.js';
import { silentLogger } from '../src/logger.js';
import { PartitionRetries } from '../src/partition-retries.js';
import { ProjectorMetrics } from '../src/projector-metrics.js';
import { FakeConsumer } from './fake-projection-kafka.js';

const topic = 't';
const deadlock: Failure = { kind: 'TRANSIENT', code: '40P01', description: 'deadlock detected' };
const readOnly: Failure = { kind: 'ENVIRONMENT', code: '25006', description: 'read-only' };

function setup(current = true) {
  const consumer = new FakeConsumer({} as never);
  const metrics = new ProjectorMetrics();
  const state = { current };
  const retries = new PartitionRetries({
    topic,
    projector: 'orders',
    metrics,
    logger: silentLogger,
    initialMs: 100,
    maxMs: 1000,
    random: () => 1, // the backoff's ceiling: 100, 200, 400, 800, 1000...
    isCurrent: (c) => state.current && c === consumer,
    now: () => Date.parse('2026-01-01T00:00:00Z'),
  });
  return { consumer, metrics, retries, state };
}

async function retryingGauge(metrics: ProjectorMetrics) {
  return (await metrics.partitionRetrying.get()).values.map((v) => [v.labels.partition, v.value]);
}

describe('PartitionRetries', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pauses the failed partition only, seeks it back to the batch and resumes it after the backoff', async () => {
    const { consumer, retries } = setup();
    retries.failed(consumer, 2, deadlock, '40');
    expect([...consumer.paused]).toEqual([2]);
    expect(consumer.seeks).toEqual([{ topic, partition: 2, offset: '40' }]);
    await vi.advanceTimersByTimeAsync(99);
    expect([...consumer.paused]).toEqual([2]);
    await vi.advanceTimersByTimeAsync(1);
    expect([...consumer.paused]).toEqual([]);
  });

  it('waits longer after each failure in a row, up to the maximum', async () => {
    const { consumer, retries } = setup();
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      retries.failed(consumer, 0, deadlock, '1');
      let waited = 0;
      while (consumer.paused.has(0)) {
        await vi.advanceTimersByTimeAsync(50);
        waited += 50;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([100, 200, 400, 800, 1000]);
    expect(retries.list()).toEqual([
      {
        partition: 0,
        attempts: 5,
        since: '2026-01-01T00:00:00.000Z',
        kind: 'TRANSIENT',
        code: '40P01',
      },
    ]);
  });

  it('does not resume a partition of a stopped or replaced consumer', async () => {
    const { consumer, retries, state } = setup();
    retries.failed(consumer, 1, deadlock, '5');
    state.current = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect([...consumer.paused]).toEqual([1]);
  });

  it('reports the paused partitions by number with their last failure, and the gauge', async () => {
    const { consumer, metrics, retries } = setup();
    retries.failed(consumer, 3, deadlock, '1');
    retries.failed(consumer, 1, deadlock, '1');
    retries.failed(consumer, 3, readOnly, '1');
    expect(retries.list().map((r) => [r.partition, r.attempts, r.kind, r.code])).toEqual([
      [1, 1, 'TRANSIENT', '40P01'],
      [3, 2, 'ENVIRONMENT', '25006'],
    ]);
    expect(await retryingGauge(metrics)).toEqual([
      ['3', 1],
      ['1', 1],
    ]);
    expect((await metrics.databaseRetries.get()).values[0]?.value).toBe(3);
  });

  it('forgets a partition whose batch succeeded (attempts start again at 1)', async () => {
    const { consumer, metrics, retries } = setup();
    retries.failed(consumer, 0, deadlock, '1');
    retries.failed(consumer, 0, deadlock, '1');
    retries.succeeded(0);
    expect(retries.list()).toEqual([]);
    expect(await retryingGauge(metrics)).toEqual([]);
    retries.failed(consumer, 0, deadlock, '1');
    expect(retries.list()[0]?.attempts).toBe(1);
  });

  it('on a rebalance, forgets and resumes the revoked partitions, keeps the others paused', async () => {
    const { consumer, retries } = setup();
    retries.failed(consumer, 0, deadlock, '1');
    retries.failed(consumer, 1, deadlock, '1');
    retries.retain(consumer, [1, 2]);
    expect([...consumer.paused]).toEqual([1]);
    expect(retries.list().map((r) => r.partition)).toEqual([1]);
    // The forgotten retry's timer no longer resumes anything on its own.
    consumer.pause([{ topic, partitions: [0] }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(consumer.paused.has(0)).toBe(true);
  });

  it('clearAll forgets every partition', () => {
    const { consumer, retries } = setup();
    retries.failed(consumer, 0, deadlock, '1');
    retries.failed(consumer, 1, deadlock, '1');
    retries.clearAll();
    expect(retries.list()).toEqual([]);
  });
});
