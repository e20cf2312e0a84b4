import type { BatchProducer, ProducerBatch } from './batch-producer.js';

/** The subset of a kafkajs `Producer` a {@link ProducerSession} drives. */
export interface KafkaProducerLike extends BatchProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** The logger calls a session makes (a pino logger fits). */
export interface SessionLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/** Tuning of a {@link ProducerSession}. */
export interface ProducerSessionOptions {
  /** Makes a fresh, unconnected idempotent producer (`kafka.producer({ idempotent: true })`). */
  createProducer: () => KafkaProducerLike;
  /** Hard cap on one `sendBatch` (including a reconnect), in ms. */
  sendTimeoutMs: number;
  /** Hard cap on one `connect`, in ms. */
  connectTimeoutMs: number;
  /** Pause between background reconnect attempts while broken, in ms. */
  reconnectIntervalMs: number;
  logger: SessionLogger;
}

/** Outcome of {@link ProducerSession.connect}. */
export type ConnectOutcome =
  | { ok: true }
  | { ok: false; reason: 'TIMEOUT' | 'FAILED' | 'CLOSED'; message: string };

/** Where a session stands; only `ready` counts for readiness. */
export type SessionState = 'idle' | 'connecting' | 'ready' | 'broken' | 'closed';

/** Thrown by `sendBatch` when the send did not settle within `sendTimeoutMs`. */
export class SendTimeoutError extends Error {
  override readonly name = 'SendTimeoutError';
}

/** Thrown by `sendBatch` when no producer could be connected. */
export class ProducerUnavailableError extends Error {
  override readonly name = 'ProducerUnavailableError';
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new SendTimeoutError(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Owns the idempotent kafkajs producer and replaces it after any failed or timed-out send.
 *
 * Why replace it: kafkajs 2.2.4 rolls a partition's sequence number back when a produce request
 * fails, even when the broker may already have written that batch (a timeout, a dropped
 * connection). The next batch then reuses the same sequence numbers; if it has the same record
 * count the broker takes it for a duplicate and acknowledges it without writing it, which would
 * turn into a 200 for an event that is not stored. A fresh producer gets a new producer id from
 * the broker (InitProducerId), so its sequences cannot collide with anything written before.
 * Replacing it also recovers from the fatal `OUT_OF_ORDER_SEQUENCE_NUMBER` /
 * `UNKNOWN_PRODUCER_ID` states and from kafkajs connections that never reconnect.
 *
 * While broken, the session reconnects in the background so readiness comes back without
 * traffic. Sends are bounded by `sendTimeoutMs`, so a hung request never blocks the appender.
 */
export class ProducerSession implements BatchProducer {
  readonly #options: ProducerSessionOptions;
  #producer: KafkaProducerLike | undefined;
  #connecting: Promise<ConnectOutcome> | undefined;
  #state: SessionState = 'idle';
  #reconnectTimer: NodeJS.Timeout | undefined;

  constructor(options: ProducerSessionOptions) {
    this.#options = options;
  }

  /** Current state. */
  get state(): SessionState {
    return this.#state;
  }

  /** True while a connected producer is in use (the last connect or send succeeded). */
  isReady(): boolean {
    return this.#state === 'ready';
  }

  /**
   * Connects a producer unless one is connected or connecting. On failure the session keeps
   * trying in the background every `reconnectIntervalMs`.
   */
  connect(): Promise<ConnectOutcome> {
    if (this.#state === 'closed') {
      return Promise.resolve({ ok: false, reason: 'CLOSED', message: 'session closed' });
    }
    if (this.#producer !== undefined && this.#state === 'ready')
      return Promise.resolve({ ok: true });
    this.#connecting ??= this.#connectOnce().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Sends one batch on the current producer (connecting first if needed). */
  async sendBatch(batch: ProducerBatch): Promise<unknown> {
    const deadline = performance.now() + this.#options.sendTimeoutMs;
    if (this.#producer === undefined || this.#state !== 'ready') {
      const outcome = await this.connect();
      if (!outcome.ok) throw new ProducerUnavailableError(outcome.message);
    }
    const producer = this.#producer;
    if (producer === undefined) throw new ProducerUnavailableError('no producer');
    const remaining = Math.max(1, deadline - performance.now());
    try {
      return await withTimeout(producer.sendBatch(batch), remaining, 'produce timed out');
    } catch (error) {
      this.#discard(producer, error);
      throw error;
    }
  }

  /** Stops reconnecting and disconnects the producer. */
  async close(): Promise<void> {
    this.#state = 'closed';
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const producer = this.#producer;
    this.#producer = undefined;
    if (producer !== undefined) {
      await withTimeout(producer.disconnect(), this.#options.connectTimeoutMs, 'disconnect').catch(
        () => undefined,
      );
    }
  }

  async #connectOnce(): Promise<ConnectOutcome> {
    this.#state = 'connecting';
    const producer = this.#options.createProducer();
    try {
      await withTimeout(producer.connect(), this.#options.connectTimeoutMs, 'connect timed out');
    } catch (error) {
      void producer.disconnect().catch(() => undefined);
      const timedOut = error instanceof SendTimeoutError;
      const message = error instanceof Error ? error.message : String(error);
      if (this.state !== 'closed') {
        this.#state = 'broken';
        this.#options.logger.warn({ err: { message } }, 'Kafka producer could not connect');
        this.#scheduleReconnect();
      }
      return { ok: false, reason: timedOut ? 'TIMEOUT' : 'FAILED', message };
    }
    if (this.state === 'closed') {
      void producer.disconnect().catch(() => undefined);
      return { ok: false, reason: 'CLOSED', message: 'session closed' };
    }
    this.#producer = producer;
    this.#state = 'ready';
    this.#options.logger.info({}, 'Kafka producer connected');
    return { ok: true };
  }

  #discard(producer: KafkaProducerLike, error: unknown): void {
    if (this.#producer !== producer) return;
    this.#producer = undefined;
    if (this.#state === 'closed') return;
    this.#state = 'broken';
    const message = error instanceof Error ? error.message : String(error);
    this.#options.logger.warn(
      { err: { message } },
      'Kafka send failed; replacing the producer (new producer id)',
    );
    // Not awaited: a hung producer must not hold up the next batch.
    void producer.disconnect().catch(() => undefined);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#reconnectTimer !== undefined || this.#state === 'closed') return;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state === 'ready' || this.#state === 'closed') return;
      void this.connect();
    }, this.#options.reconnectIntervalMs);
    this.#reconnectTimer.unref();
  }
}
