import type { Admin } from 'kafkajs';
import { CliError } from './cli-error.js';

/** One partition's earliest and end offsets. */
export interface PartitionOffsets {
  partition: number;
  low: bigint;
  high: bigint;
}

/** The topic's partitions with their low and high watermarks; a missing topic says what to do. */
export async function topicOffsets(admin: Admin, topic: string): Promise<PartitionOffsets[]> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) {
    throw new CliError('NO_TOPIC', `Topic ${topic} does not exist on this cluster.`, {
      hint: 'Create it with `novamed-stream topics create` (or pass the right --topic).',
    });
  }
  return (await admin.fetchTopicOffsets(topic))
    .map((p) => ({ partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) }))
    .sort((a, b) => a.partition - b.partition);
}

const MAX_AGE_MS = 30 * 86_400_000;

/**
 * When the message at `offset` was written (its Kafka timestamp, to within a second), found
 * by binary search over ListOffsets-by-timestamp (no consumer needed). Assumes timestamps grow
 * with offsets (one producer: the ingress). Null when older than 30 days or past the end.
 */
export async function messageTimestamp(
  admin: Admin,
  topic: string,
  partition: number,
  offset: bigint,
  now = Date.now(),
): Promise<number | null> {
  const firstOffsetAt = async (timestamp: number) => {
    const found = await admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
    return BigInt(found.find((p) => p.partition === partition)?.offset ?? '-1');
  };
  // Invariant: firstOffsetAt(lo) <= offset < firstOffsetAt(hi).
  let lo = now - MAX_AGE_MS;
  let hi = now + 60_000;
  if ((await firstOffsetAt(lo)) > offset) return null;
  if ((await firstOffsetAt(hi)) <= offset) return null;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await firstOffsetAt(mid)) <= offset) lo = mid;
    else hi = mid;
  }
  return lo;
}
