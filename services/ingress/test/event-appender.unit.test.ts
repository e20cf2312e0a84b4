import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchProducer, OutgoingMessage, ProducerBatch } from '../src/batch-producer.js';
import {
  type AppendOutcome,
  EventAppender,
  type EventAppenderOptions,
} from '../src/event-appender.js';

interface PendingSend {
  batch: ProducerBatch;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** A producer whose sends stay pending until the test settles them. */
class FakeProducer implements BatchProducer {
  readonly sends: PendingSend[] = [];
  inFlight = 0;
  maxInFlight = 0;

  sendBatch(batch: ProducerBatch): Promise<unknown> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<void>((resolve, reject) => {
      this.sends.push({
        batch,
        resolve: () => {
          this.inFlight -= 1;
          resolve();
        },
        reject: (error) => {
          this.inFlight -= 1;
          reject(error);
        },
      });
    });
  }

  values(index: number): string[] {
    const send = this.sends[index];
    if (!send) throw new Error(`no send #${index}`);
    return send.batch.topicMessages.flatMap((group) =>
      group.messages.map((message) => message.value.toString()),
    );
  }
}

const message = (value: string, key: string | null = value): OutgoingMessage => ({
  key,
  value: Buffer.from(value),
  headers: { 'novamed-event-id': value },
});

function appender(producer: BatchProducer, overrides: Partial<EventAppenderOptions> = {}) {
  return new EventAppender({
    producer,
    lingerMs: 5,
    maxBatchMessages: 100,
    maxBatchBytes: 1024 * 1024,
    maxPending: 1000,
    maxPendingBytes: 64 * 1024 * 1024,
    deadlineMs: 3000,
    ackTimeoutMs: 3000,
    ...overrides,
  });
}

/** Tracks a promise's outcome without awaiting it. */
function track(promise: Promise<AppendOutcome>) {
  const state: { outcome: AppendOutcome | undefined } = { outcome: undefined };
  void promise.then((outcome) => {
    state.outcome = outcome;
  });
  return state;
}

describe('EventAppender', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('coalesces appends made within the linger into one acks=-1 sendBatch, grouped by topic', async () => {
    const producer = new FakeProducer();
    const subject = appender(producer, { lingerMs: 5 });
    const a = track(subject.append('events', message('a')));
    await vi.advanceTimersByTimeAsync(2);
    const b = track(subject.append('events', message('b')));
    const q = track(subject.append('quarantine', message('q', null)));
    expect(producer.sends).toHaveLength(0);

    await vi.advanceTimersByTimeAsync(3);
    expect(producer.sends).toHaveLength(1);
    const batch = producer.sends[0]?.batch;
    expect(batch?.acks).toBe(-1);
    expect(batch?.timeout).toBe(3000);
    expect(batch?.topicMessages.map((group) => group.topic)).toEqual(['events', 'quarantine']);
    expect(producer.values(0)).toEqual(['a', 'b', 'q']);
    expect(a.outcome).toBeUndefined();

    producer.sends[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect([a.outcome, b.outcome, q.outcome]).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(subject.pending).toBe(0);
  });

  it('sends at once when maxBatchMessages is reached, without waiting for the linger', async () => {
    const producer = new FakeProducer();
    const subject = appender(producer, { lingerMs: 1000, maxBatchMessages: 3 });
    for (const value of ['a', 'b', 'c']) void subject.append('events', message(value));
    await vi.advanceTimersByTimeAsync(0);
    expect(producer.sends).toHaveLength(1);
    expect(producer.values(0)).toEqual(['a', 'b', 'c']);
  });

  it('splits batches at maxBatchBytes (a record larger than the cap goes alone)', async () => {
    const producer = new FakeProducer();
    const subject = appender(producer, { lingerMs: 1, maxBatchBytes: 300 });
    const big = 'x'.repeat(400);
    void subject.append('events', message('a'));
    void subject.append('events', message('b'));
    void subject.append('events', message(big, 'big'));
    void subject.append('events', message('c'));
    await vi.advanceTimersByTimeAsync(1);
    expect(producer.values(0)).toEqual(['a', 'b']);
    producer.sends[0]?.resolve();
    await vi.advanceTimersByTimeAsync(1);
    expect(producer.values(1)).toEqual([big]);
    producer.sends[1]?.resolve();
    await vi.advanceTimersByTimeAsync(1);
    expect(producer.values(2)).toEqual(['c']);
  });

  it('accumulates the next batch while one is in flight and gives each caller its own outcome', async () => {
    const producer = new FakeProducer();
    const subject = appender(producer, { lingerMs: 2 });
    const first = track(subject.append('events', message('a')));
    await vi.advanceTimersByTimeAsync(2);
    expect(producer.sends).toHaveLength(1);

    const second = track(subject.append('events', message('b')));
    const third = track(subject.append('events', message('c')));
    await vi.advanceTimersByTimeAsync(50);
    expect(producer.sends).toHaveLength(1);

    producer.sends[0]?.reject(Object.assign(new Error('x'), { type: 'NOT_ENOUGH_REPLICAS' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(first.outcome).toEqual({
      ok: false,
      reason: 'SEND_FAILED',
      failure: 'NOT_ENOUGH_REPLICAS',
    });
    // The waiting records lingered long enough already: sent right after the first settles.
    expect(producer.sends).toHaveLength(2);
    expect(producer.values(1)).toEqual(['b', 'c']);
    expect(second.outcome).toBeUndefined();

    producer.sends[1]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect([second.outcome, third.outcome]).toEqual([{ ok: true }, { ok: true }]);
    expect(producer.maxInFlight).toBe(1);
  });

  it('answers DEADLINE_EXCEEDED when the ack does not come in time, and never ok afterwards', async () => {
    const producer = new FakeProducer();
    const subject = appender(producer, { lingerMs: 1, deadlineMs: 100 });
    const sent = track(subject.append('events', message('a')));
    await vi.advanceTimersByTimeAsync(1);
    expect(producer.sends).toHaveLength(1);
    // Queued behind the hung batch:
    const queued = track(subject.append('events', message('b')));

    await vi.advanceTimersByTimeAsync(99);
    expect(sent.outcome).toEqual({ ok: false, reason: 'DEADLINE_EXCEEDED' });
    await vi.advanceTimersByTimeAsync(1);
    expect(queued.outcome).toEqual({ ok: false, reason: 'DEADLINE_EXCEEDED' });
    // The expired queued record is dropped, the in-flight one still counts as pending.
    expect(subject.pending).toBe(1);

    producer.sends[0]?.resolve();
    await vi.advanceTimersByTimeAsync(10);
    expect(sent.outcome).toEqual({ ok: false, reason: 'DEADLINE_EXCEEDED' });
    expect(producer.sends).toHaveLength(1);
    expect(subject.pending).toBe(0);
  });

  it('answers OVERLOADED at once beyond maxPending, and accepts again once batches settle', async () => {
    const producer = new FakeProducer();
    const subject = appender(producer, { lingerMs: 1, maxPending: 2 });
    void subject.append('events', message('a'));
    void subject.append('events', message('b'));
    await expect(subject.append('events', message('c'))).resolves.toEqual({
      ok: false,
      reason: 'OVERLOADED',
    });
    await vi.advanceTimersByTimeAsync(1);
    producer.sends[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(subject.pending).toBe(0);
    const accepted = track(subject.append('events', message('d')));
    await vi.advanceTimersByTimeAsync(1);
    producer.sends[1]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(accepted.outcome).toEqual({ ok: true });
  });

  it('bounds pending bytes too', async () => {
    const producer = new FakeProducer();
    const subject = appender(producer, { maxPendingBytes: 1000 });
    void subject.append('events', message('x'.repeat(600), 'a'));
    await expect(subject.append('events', message('y'.repeat(600), 'b'))).resolves.toEqual({
      ok: false,
      reason: 'OVERLOADED',
    });
  });

  it('close() sends what is queued without lingering, waits for it, then refuses appends', async () => {
    const producer = new FakeProducer();
    const subject = appender(producer, { lingerMs: 1000 });
    const queued = track(subject.append('events', message('a')));
    let closed = false;
    void subject.close().then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(producer.sends).toHaveLength(1);
    expect(closed).toBe(false);
    await expect(subject.append('events', message('b'))).resolves.toEqual({
      ok: false,
      reason: 'CLOSED',
    });
    producer.sends[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(queued.outcome).toEqual({ ok: true });
    expect(closed).toBe(true);
  });

  it('reports each settled batch (for the batch size metric)', async () => {
    const producer = new FakeProducer();
    const reports: unknown[] = [];
    const subject = appender(producer, {
      lingerMs: 1,
      onBatchSettled: (report) => reports.push(report),
    });
    void subject.append('events', message('a'));
    void subject.append('events', message('b'));
    await vi.advanceTimersByTimeAsync(1);
    producer.sends[0]?.reject(new Error('boom'));
    await vi.advanceTimersByTimeAsync(0);
    expect(reports).toEqual([
      expect.objectContaining({ messages: 2, failure: 'BROKER_UNAVAILABLE' }),
    ]);
  });
});
