import { randomBytes } from 'node:crypto';
import { HEADERS } from '@novamed-stream/events';
import type { Kafka } from 'kafkajs';

/** How the events sit on a topic: records, and copies per event id. */
export interface TopicCopies {
  records: number;
  /** Distinct `(partition, offset)` pairs: the records the broker wrote. */
  distinctOffsets: number;
  /** event_id -> how many records carry it. */
  copies: Map<string, number>;
}

/**
 * Reads every record of `topic` up to its current end (a throwaway group) and counts the copies
 * of each event id (from the `novamed-event-id` header).
 */
export async function readTopicCopies(
  kafka: Kafka,
  topic: string,
  timeoutMs = 120_000,
): Promise<TopicCopies> {
  const records = await readTopicRecords(kafka, topic, timeoutMs);
  const copies = new Map<string, number>();
  for (const record of records) {
    const id = record.headers[HEADERS.eventId] ?? '?';
    copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  return {
    records: records.length,
    distinctOffsets: new Set(records.map((r) => `${r.partition}:${r.offset}`)).size,
    copies,
  };
}

/** One record of a topic, with its raw value and headers. */
export interface TopicRecord {
  partition: number;
  offset: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Reads every record of `topic` up to its current end (a throwaway consumer group). */
export async function readTopicRecords(
  kafka: Kafka,
  topic: string,
  timeoutMs = 120_000,
): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map<number, bigint>();
  for (const { partition, high, low } of offsets) {
    if (BigInt(high) > BigInt(low)) remaining.set(partition, BigInt(high));
  }
  const records: TopicRecord[] = [];
  if (remaining.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `rel-reader-${randomBytes(6).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic}: timed out at ${records.length} records`)),
        timeoutMs,
      );
      consumer
        .run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            const high = remaining.get(batch.partition);
            if (high === undefined) return;
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= high) continue;
              const headers: Record<string, string> = {};
              for (const [name, value] of Object.entries(message.headers ?? {})) {
                headers[name] = String(value?.toString() ?? '');
              }
              records.push({
                partition: batch.partition,
                offset: message.offset,
                value: message.value ?? Buffer.alloc(0),
                headers,
              });
              if (BigInt(message.offset) + 1n >= high) remaining.delete(batch.partition);
            }
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
