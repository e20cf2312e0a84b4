import { Kafka, logLevel } from 'kafkajs';

/**
 * The number of records written to each topic: the sum of its partitions' high watermarks
 * (the topics are fresh per run and never compacted or truncated, so this is every record the
 * run appended). Read from the broker, not from the code under test.
 */
export async function topicMessageCounts(
  brokers: string[],
  topics: readonly string[],
): Promise<Map<string, number>> {
  const admin = new Kafka({
    clientId: 'bench-ingress-count',
    brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      counts.set(
        topic,
        offsets.reduce((sum, partition) => sum + Number(partition.high), 0),
      );
    }
    return counts;
  } finally {
    await admin.disconnect();
  }
}
