import type { BatchProducer, OutgoingMessage, TopicMessages } from './batch-producer.js';
import { classifySendError, type SendFailure } from './send-failure.js';

/** Tuning of an {@link EventAppender}. */
export interface EventAppenderOptions {
  /** Where batches go: a kafkajs producer, or a fake in tests. */
  producer: BatchProducer;
  /** How long the first record of a batch waits for company before the batch is sent, in ms. */
  lingerMs: number;
  /** A batch is sent at once when it holds this many records... */
  maxBatchMessages: number;
  /** ...or this many (estimated) bytes. One record larger than this is sent alone. */
  maxBatchBytes: number;
  /** Records queued or in flight beyond which `append` answers `OVERLOADED` at once. */
  maxPending: number;
  /** Bytes queued or in flight beyond which `append` answers `OVERLOADED` at once. */
  maxPendingBytes: number;
  /** How long one `append` may take before it answers `DEADLINE_EXCEEDED`, in ms. */
  deadlineMs: number;
  /** The broker-side acknowledgement timeout passed with each batch, in ms. */
  ackTimeoutMs: number;
  /** Called once per batch when its send settles (for metrics). */
  onBatchSettled?: (batch: BatchReport) => void;
}

/** What {@link EventAppenderOptions.onBatchSettled} reports. */
export interface BatchReport {
  messages: number;
  bytes: number;
  durationMs: number;
  failure: SendFailure | undefined;
}

/**
 * The outcome of one {@link EventAppender.append}. Only `ok: true` means the record was
 * acknowledged by all in-sync replicas; every other outcome means "unknown or not stored".
 */
export type AppendOutcome =
  | { ok: true }
  | { ok: false; reason: 'DEADLINE_EXCEEDED' }
  | { ok: false; reason: 'SEND_FAILED'; failure: SendFailure }
  | { ok: false; reason: 'OVERLOADED' }
  | { ok: false; reason: 'CLOSED' };

interface Entry {
  readonly topic: string;
  message: OutgoingMessage | undefined;
  readonly bytes: number;
  readonly enqueuedAt: number;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
  /** Taken into a batch (in flight or done). */
  sending: boolean;
  released: boolean;
  readonly resolve: (outcome: AppendOutcome) => void;
}

// Kafka's per-record overhead (lengths, offsets, varints) is a few dozen bytes; 64 keeps the
// estimate on the safe side of the broker's batch size limit.
const RECORD_OVERHEAD_BYTES = 64;

/** Estimated encoded size of one record, for the batch and memory caps. */
export function estimateRecordBytes(message: OutgoingMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + message.value.length;
  if (message.key !== null) bytes += Buffer.byteLength(message.key);
  for (const name in message.headers) {
    bytes += name.length + Buffer.byteLength(message.headers[name] ?? '') + 2;
  }
  return bytes;
}

/**
 * Coalesces concurrent appends into micro-batches: one `sendBatch` per batch, sent when the
 * oldest record has lingered `lingerMs` or a size cap is reached. While one batch is in flight
 * the next one accumulates; batches are sent strictly one after another (kafkajs's idempotent
 * producer serialises produce requests per broker anyway, and sequence numbers stay simple).
 * Each caller awaits only its own record's outcome, bounded by its own deadline. The number
 * and size of pending records are capped, so memory stays bounded under overload.
 */
export class EventAppender {
  readonly #options: EventAppenderOptions;
  #queue: Entry[] = [];
  #head = 0;
  #queuedCount = 0;
  #queuedBytes = 0;
  #pendingCount = 0;
  #pendingBytes = 0;
  #lingerTimer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #closing = false;

  constructor(options: EventAppenderOptions) {
    this.#options = options;
  }

  /** Records accepted and not yet settled by their batch (queued or in flight). */
  get pending(): number {
    return this.#pendingCount;
  }

  /** Estimated bytes of the pending records. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Queues one record for `topic` and resolves with its own outcome: `ok` once the batch that
   * carries it is acknowledged, otherwise the reason. Never rejects.
   */
  append(topic: string, message: OutgoingMessage): Promise<AppendOutcome> {
    if (this.#closing) return Promise.resolve({ ok: false, reason: 'CLOSED' });
    const bytes = estimateRecordBytes(message);
    const options = this.#options;
    if (
      this.#pendingCount >= options.maxPending ||
      (this.#pendingCount > 0 && this.#pendingBytes + bytes > options.maxPendingBytes)
    ) {
      return Promise.resolve({ ok: false, reason: 'OVERLOADED' });
    }
    return new Promise<AppendOutcome>((resolve) => {
      const entry: Entry = {
        topic,
        message,
        bytes,
        enqueuedAt: performance.now(),
        timer: undefined,
        settled: false,
        sending: false,
        released: false,
        resolve,
      };
      entry.timer = setTimeout(() => this.#expire(entry), options.deadlineMs);
      this.#queue.push(entry);
      this.#queuedCount += 1;
      this.#queuedBytes += bytes;
      this.#pendingCount += 1;
      this.#pendingBytes += bytes;
      this.#schedule();
    });
  }

  /**
   * Stops accepting records (`append` answers `CLOSED`), sends everything still queued without
   * lingering, and resolves when no batch is in flight any more.
   */
  async close(): Promise<void> {
    this.#closing = true;
    for (;;) {
      if (this.#inFlight !== undefined) {
        await this.#inFlight;
        continue;
      }
      if (this.#queuedCount === 0) break;
      this.#flush();
    }
    this.#clearLinger();
  }

  #expire(entry: Entry): void {
    entry.timer = undefined;
    this.#settle(entry, { ok: false, reason: 'DEADLINE_EXCEEDED' });
    // Still queued: drop it, so nothing is written after its caller heard "not stored" (a
    // record already in flight may still land; the sender's retry is then a duplicate, which
    // consumers drop by event_id).
    if (!entry.sending && !entry.released) {
      this.#queuedCount -= 1;
      this.#queuedBytes -= entry.bytes;
      this.#release(entry);
    }
  }

  #settle(entry: Entry, outcome: AppendOutcome): void {
    if (entry.settled) return;
    entry.settled = true;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.resolve(outcome);
  }

  #release(entry: Entry): void {
    if (entry.released) return;
    entry.released = true;
    entry.message = undefined;
    this.#pendingCount -= 1;
    this.#pendingBytes -= entry.bytes;
  }

  #capsReached(): boolean {
    return (
      this.#queuedCount >= this.#options.maxBatchMessages ||
      this.#queuedBytes >= this.#options.maxBatchBytes
    );
  }

  #oldestQueued(): Entry | undefined {
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head];
      if (entry !== undefined && !entry.released) return entry;
      this.#head += 1;
    }
    return undefined;
  }

  #schedule(): void {
    if (this.#inFlight !== undefined || this.#queuedCount === 0) return;
    if (this.#closing || this.#capsReached()) {
      this.#flush();
      return;
    }
    if (this.#lingerTimer !== undefined) return;
    const oldest = this.#oldestQueued();
    const waited = oldest === undefined ? 0 : performance.now() - oldest.enqueuedAt;
    const remaining = this.#options.lingerMs - waited;
    if (remaining <= 0) {
      this.#flush();
      return;
    }
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = undefined;
      this.#flush();
    }, remaining);
  }

  #clearLinger(): void {
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
  }

  #takeBatch(): { entries: Entry[]; bytes: number } {
    const { maxBatchMessages, maxBatchBytes } = this.#options;
    const entries: Entry[] = [];
    let bytes = 0;
    while (this.#head < this.#queue.length && entries.length < maxBatchMessages) {
      const entry = this.#queue[this.#head];
      if (entry === undefined) break;
      if (entry.released) {
        this.#head += 1;
        continue;
      }
      if (entries.length > 0 && bytes + entry.bytes > maxBatchBytes) break;
      entry.sending = true;
      entries.push(entry);
      bytes += entry.bytes;
      this.#head += 1;
      this.#queuedCount -= 1;
      this.#queuedBytes -= entry.bytes;
    }
    // Drop the consumed prefix now and then instead of on every batch.
    if (this.#head > 1024 || this.#head === this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return { entries, bytes };
  }

  #flush(): void {
    this.#clearLinger();
    if (this.#inFlight !== undefined) return;
    const { entries, bytes } = this.#takeBatch();
    if (entries.length === 0) return;
    this.#inFlight = this.#send(entries, bytes).finally(() => {
      this.#inFlight = undefined;
      this.#schedule();
    });
  }

  async #send(entries: Entry[], bytes: number): Promise<void> {
    const started = performance.now();
    const byTopic = new Map<string, TopicMessages>();
    for (const entry of entries) {
      if (entry.message === undefined) continue;
      let group = byTopic.get(entry.topic);
      if (group === undefined) {
        group = { topic: entry.topic, messages: [] };
        byTopic.set(entry.topic, group);
      }
      group.messages.push(entry.message);
    }
    let failure: SendFailure | undefined;
    try {
      await this.#options.producer.sendBatch({
        acks: -1,
        timeout: this.#options.ackTimeoutMs,
        topicMessages: [...byTopic.values()],
      });
    } catch (error) {
      failure = classifySendError(error);
    }
    for (const entry of entries) {
      this.#settle(
        entry,
        failure === undefined ? { ok: true } : { ok: false, reason: 'SEND_FAILED', failure },
      );
      this.#release(entry);
    }
    this.#options.onBatchSettled?.({
      messages: entries.length,
      bytes,
      durationMs: performance.now() - started,
      failure,
    });
  }
}
