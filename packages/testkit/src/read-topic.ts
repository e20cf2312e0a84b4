import { randomBytes } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';

/** One record of a topic, headers decoded as UTF-8. */
export interface TopicMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined)
      decoded[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return decoded;
}

/**
 * Reads every record the topic holds right now (up to each partition's high watermark at the
 * time of the call), with a throwaway consumer group. Throws if that takes longer than
 * `timeoutMs`.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  timeoutMs = 120_000,
): Promise<TopicMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map<number, bigint>();
  for (const { partition, high, low } of offsets) {
    if (BigInt(high) > BigInt(low)) remaining.set(partition, BigInt(high));
  }
  const messages: TopicMessage[] = [];
  if (remaining.size === 0) return messages;

  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(6).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`readTopic(${topic}): timed out with ${messages.length} records`)),
        timeoutMs,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const high = remaining.get(batch.partition);
            if (high === undefined) return;
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= high) continue;
              messages.push({
                partition: batch.partition,
                offset: message.offset,
                key: message.key === null ? null : message.key.toString(),
                value: message.value ?? Buffer.alloc(0),
                headers: decodeHeaders(message.headers),
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
  return messages;
}
