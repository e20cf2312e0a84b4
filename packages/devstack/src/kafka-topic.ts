import { Kafka, logLevel } from 'kafkajs';

/** Options for {@link ensureTopic}. */
export interface EnsureTopicOptions {
  brokers: readonly string[];
  topic: string;
  /** Partitions when the topic is created. Default 1. */
  partitions?: number;
  /** Replication factor when the topic is created. Default 1. */
  replicationFactor?: number;
  /** Topic configs when the topic is created (e.g. `{ 'retention.ms': '-1' }`). */
  config?: Record<string, string>;
  /** Give up after this long. Default 30 s. */
  timeoutMs?: number;
}

/** The topic as it is now: whether this call created it and how many partitions it has. */
export interface EnsuredTopic {
  created: boolean;
  partitions: number;
}

/**
 * Creates `topic` unless it exists, then waits until every partition has a leader, so a
 * producer's first send does not fail with "leader not available". An existing topic is left as
 * it is (its partition count is reported, not changed).
 */
export async function ensureTopic(options: EnsureTopicOptions): Promise<EnsuredTopic> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const admin = new Kafka({
    clientId: 'devstack-topics',
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      // Not kafkajs's waitForLeaders: on KRaft the controller answers CreateTopics before the
      // broker's metadata cache has the topic, and kafkajs's wait then fails with
      // UNKNOWN_TOPIC_OR_PARTITION instead of retrying. The loop below tolerates it.
      waitForLeaders: false,
      timeout: timeoutMs,
      topics: [
        {
          topic: options.topic,
          numPartitions: options.partitions ?? 1,
          replicationFactor: options.replicationFactor ?? 1,
          configEntries: Object.entries(options.config ?? {}).map(([name, value]) => ({
            name,
            value,
          })),
        },
      ],
    });
    let lastProblem = '';
    while (Date.now() < deadline) {
      try {
        const metadata = await admin.fetchTopicMetadata({ topics: [options.topic] });
        const partitions = metadata.topics[0]?.partitions ?? [];
        if (partitions.length > 0 && partitions.every((partition) => partition.leader >= 0)) {
          return { created, partitions: partitions.length };
        }
        lastProblem = 'some partitions have no leader yet';
      } catch (error) {
        lastProblem = error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Topic ${options.topic} has no leaders after ${timeoutMs} ms: ${lastProblem}`);
  } finally {
    await admin.disconnect();
  }
}
