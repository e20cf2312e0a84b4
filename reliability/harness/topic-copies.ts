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
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map<number, bigint>();
  for (const { partition, high, low } of offsets) {
    if (BigInt(high) > BigInt(low)) remaining.set(partition, BigInt(high));
  }
  const result: TopicCopies = { records: 0, distinctOffsets: 0, copies: new Map() };
  if (remaining.size === 0) return result;
  const seen = new Set<string>();
  const consumer = kafka.consumer({ groupId: `rel-reader-${randomBytes(6).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic}: timed out at ${result.records} records`)),
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
              result.records++;
              seen.add(`${batch.partition}:${message.offset}`);
              const id = message.headers?.[HEADERS.eventId]?.toString() ?? '?';
              result.copies.set(id, (result.copies.get(id) ?? 0) + 1);
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
  result.distinctOffsets = seen.size;
  return result;
}
