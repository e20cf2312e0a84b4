import { HEADERS } from '@novamed-stream/events';
import { readTopic } from '@novamed-stream/testkit';
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
  const records = await readTopic(kafka, topic, timeoutMs);
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
