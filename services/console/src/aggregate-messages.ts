import { randomBytes } from 'node:crypto';
import { HEADERS } from '@novamed-stream/events';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';

/** One message of an aggregate's key: where it is and what the envelope says (no `data`). */
export interface AggregateMessage {
  partition: number;
  offset: string;
  eventId: string | null;
  eventType: string | null;
  /** When the ingress received it (header), ISO 8601. */
  receivedAt: string | null;
  /** The envelope's `timestamp` (NovaMed's time), when the value is a JSON object with one. */
  timestamp: string | null;
}

/** The envelope's `timestamp`, the only part of the value kept (the rest may be PHI). */
function envelopeTimestamp(value: Buffer | null): string | null {
  if (value === null) return null;
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    const timestamp = (parsed as { timestamp?: unknown } | null)?.timestamp;
    return typeof timestamp === 'string' ? timestamp : null;
  } catch {
    return null;
  }
}

/** Outcome of {@link readAggregateMessages}. */
export type AggregateMessagesOutcome =
  | {
      ok: true;
      messages: AggregateMessage[];
      /** Offsets read: `from` up to (excluding) `to`. */
      from: string;
      to: string;
      /** True when the scan stopped at `maxMessages` or the deadline before `to`. */
      truncated: boolean;
    }
  | { ok: false; reason: 'KAFKA_UNAVAILABLE' };

/** Options of {@link readAggregateMessages}. */
export interface ReadAggregateOptions {
  kafka: Kafka;
  topic: string;
  partition: number;
  /** The message key: the aggregate's routing key (order id or medication request id). */
  key: string;
  /** First offset to read (the aggregate's earliest known message). */
  fromOffset: bigint;
  /** Most messages to read (of any key). Default 20,000. */
  maxMessages?: number;
  /** Longest time to read. Default 8 s. */
  timeoutMs?: number;
}

function header(headers: IHeaders | undefined, name: string): string | null {
  const value = headers?.[name];
  if (value === undefined) return null;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? null : first.toString('utf8');
}

/** What the console keeps of a message: headers, offset and the envelope's timestamp. */
function aggregateMessage(partition: number, m: KafkaMessage): AggregateMessage {
  return {
    partition,
    offset: m.offset,
    eventId: header(m.headers, HEADERS.eventId),
    eventType: header(m.headers, HEADERS.eventType),
    receivedAt: header(m.headers, HEADERS.receivedAt),
    timestamp: envelopeTimestamp(m.value),
  };
}

/** True when `timeoutMs` passes before `done` settles. */
async function timedOutBefore(done: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    done.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return timedOut;
}

/**
 * Every message with key `key` in one partition from `fromOffset` to the end offset taken at
 * the start: duplicates and rejected events included, which the read models do not keep.
 * Reads with a throw-away consumer group (seek, then deleted), like the CLI's `errors`. Only
 * headers, offsets and the envelope's timestamp are kept: nothing of `data` (PHI).
 */
export async function readAggregateMessages(
  options: ReadAggregateOptions,
): Promise<AggregateMessagesOutcome> {
  const { kafka, topic, partition, key } = options;
  const maxMessages = options.maxMessages ?? 20_000;
  const admin = kafka.admin();
  const groupId = `novamed-console-read-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
  });
  try {
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    const bounds = offsets.find((o) => o.partition === partition);
    if (!bounds) return { ok: false, reason: 'KAFKA_UNAVAILABLE' };
    const low = BigInt(bounds.low);
    const end = BigInt(bounds.high);
    const from = options.fromOffset < low ? low : options.fromOffset;
    if (from >= end) {
      return {
        ok: true,
        messages: [],
        from: from.toString(),
        to: end.toString(),
        truncated: false,
      };
    }
    const messages: AggregateMessage[] = [];
    let read = 0;
    let finished: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.partition !== partition) return;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < from) continue;
          if (offset >= end || read >= maxMessages) {
            finished();
            return;
          }
          read++;
          if (m.key?.toString('utf8') === key) {
            messages.push(aggregateMessage(partition, m));
          }
          if (offset + 1n >= end) {
            finished();
            return;
          }
        }
      },
    });
    const others = offsets.map((o) => o.partition).filter((p) => p !== partition);
    if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
    consumer.seek({ topic, partition, offset: from.toString() });
    const timedOut = await timedOutBefore(done, options.timeoutMs ?? 8000);
    const last = messages.length > 0 ? BigInt(messages[messages.length - 1]?.offset ?? 0) : from;
    return {
      ok: true,
      messages,
      from: from.toString(),
      to: end.toString(),
      truncated: (timedOut || read >= maxMessages) && last + 1n < end,
    };
  } catch {
    return { ok: false, reason: 'KAFKA_UNAVAILABLE' };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
