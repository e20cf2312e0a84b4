import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProducerBatch } from '../src/batch-producer.js';
import { type KafkaProducerLike, ProducerSession } from '../src/producer-session.js';

type Behaviour = 'ok' | 'fail' | 'hang';

/** Fake kafkajs producers; each remembers what happened to it. */
class FakeProducers {
  readonly made: FakeProducer[] = [];
  connectBehaviour: Behaviour = 'ok';
  sendBehaviour: Behaviour = 'ok';

  create = (): KafkaProducerLike => {
    const producer = new FakeProducer(this);
    this.made.push(producer);
    return producer;
  };
}

class FakeProducer implements KafkaProducerLike {
  connected = false;
  disconnected = false;
  sends = 0;
  constructor(private readonly owner: FakeProducers) {}

  private act(behaviour: Behaviour): Promise<void> {
    if (behaviour === 'ok') return Promise.resolve();
    if (behaviour === 'fail') return Promise.reject(new Error('broker gone'));
    return new Promise(() => undefined);
  }

  async connect() {
    await this.act(this.owner.connectBehaviour);
    this.connected = true;
  }

  async disconnect() {
    this.disconnected = true;
  }

  async sendBatch(_batch: ProducerBatch) {
    this.sends += 1;
    await this.act(this.owner.sendBehaviour);
    return [];
  }
}

const batch: ProducerBatch = { acks: -1, timeout: 1000, topicMessages: [] };
const quiet = { info: () => undefined, warn: () => undefined };

function session(producers: FakeProducers) {
  return new ProducerSession({
    createProducer: producers.create,
    sendTimeoutMs: 500,
    connectTimeoutMs: 300,
    reconnectIntervalMs: 1000,
    logger: quiet,
  });
}

describe('ProducerSession', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('connects one producer and reuses it while sends succeed', async () => {
    const producers = new FakeProducers();
    const subject = session(producers);
    await expect(subject.connect()).resolves.toEqual({ ok: true });
    expect(subject.isReady()).toBe(true);
    await subject.sendBatch(batch);
    await subject.sendBatch(batch);
    expect(producers.made).toHaveLength(1);
    expect(producers.made[0]?.sends).toBe(2);
  });

  it('replaces the producer after a failed send, so the next send gets a new producer id', async () => {
    const producers = new FakeProducers();
    const subject = session(producers);
    await subject.connect();
    producers.sendBehaviour = 'fail';
    await expect(subject.sendBatch(batch)).rejects.toThrow('broker gone');
    expect(subject.isReady()).toBe(false);
    expect(producers.made[0]?.disconnected).toBe(true);

    producers.sendBehaviour = 'ok';
    await subject.sendBatch(batch);
    expect(producers.made).toHaveLength(2);
    expect(producers.made[1]?.sends).toBe(1);
    expect(subject.isReady()).toBe(true);
  });

  it('gives up on a hung send after sendTimeoutMs and replaces the producer', async () => {
    const producers = new FakeProducers();
    const subject = session(producers);
    await subject.connect();
    producers.sendBehaviour = 'hang';
    const sending = subject.sendBatch(batch);
    const settled = expect(sending).rejects.toMatchObject({ name: 'SendTimeoutError' });
    await vi.advanceTimersByTimeAsync(500);
    await settled;
    expect(producers.made[0]?.disconnected).toBe(true);
  });

  it('fails a send fast when no producer can connect', async () => {
    const producers = new FakeProducers();
    producers.connectBehaviour = 'fail';
    const subject = session(producers);
    await expect(subject.sendBatch(batch)).rejects.toMatchObject({
      name: 'ProducerUnavailableError',
    });
  });

  it('reconnects in the background while broken, so readiness comes back without traffic', async () => {
    const producers = new FakeProducers();
    producers.connectBehaviour = 'fail';
    const subject = session(producers);
    await expect(subject.connect()).resolves.toMatchObject({ ok: false, reason: 'FAILED' });
    expect(subject.isReady()).toBe(false);

    await vi.advanceTimersByTimeAsync(1000);
    expect(producers.made).toHaveLength(2);
    expect(subject.isReady()).toBe(false);

    producers.connectBehaviour = 'ok';
    await vi.advanceTimersByTimeAsync(1000);
    expect(subject.isReady()).toBe(true);
    expect(producers.made).toHaveLength(3);
  });

  it('close() disconnects and stops reconnecting', async () => {
    const producers = new FakeProducers();
    const subject = session(producers);
    await subject.connect();
    await subject.close();
    expect(producers.made[0]?.disconnected).toBe(true);
    expect(subject.state).toBe('closed');
    await expect(subject.connect()).resolves.toMatchObject({ ok: false, reason: 'CLOSED' });
  });
});
