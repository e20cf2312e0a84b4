/** The subset of a kafkajs `Admin` that {@link ensureTopics} uses. */
export interface TopicAdmin {
  listTopics(): Promise<string[]>;
  createTopics(options: {
    topics: { topic: string; numPartitions: number; replicationFactor: number }[];
    waitForLeaders?: boolean;
    timeout?: number;
  }): Promise<boolean>;
  fetchTopicMetadata(options: { topics: string[] }): Promise<{
    topics: { name: string; partitions: { partitionId: number; replicas: number[] }[] }[];
  }>;
}

/** A topic the ingress writes to, with the shape it should have. */
export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
}

/** What {@link ensureTopics} found or did for one topic. */
export type TopicCheck =
  | { topic: string; status: 'CREATED' | 'OK' }
  | {
      topic: string;
      status: 'MISMATCH';
      expected: { partitions: number; replicationFactor: number };
      actual: { partitions: number; replicationFactor: number };
    };

/** The logger calls {@link ensureTopics} makes. */
export interface TopicLogger {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

/**
 * Retries a retriable Kafka error (e.g. a topic created a moment ago that the broker's metadata
 * does not list yet: UNKNOWN_TOPIC_OR_PARTITION) a few times before giving up.
 */
async function retryWhileRetriable<T>(action: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      const retriable = (error as { retriable?: unknown } | null)?.retriable === true;
      if (!retriable || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * Creates each topic that does not exist yet (the producer never auto-creates topics) and checks
 * the partition count and replication factor of those that do. A mismatch is logged as an error
 * and reported, not repaired: changing partitions would move keys between partitions, and so
 * break per-aggregate ordering. Throws when the cluster cannot be reached.
 */
export async function ensureTopics(
  admin: TopicAdmin,
  specs: readonly TopicSpec[],
  logger: TopicLogger,
): Promise<TopicCheck[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor,
      })),
      waitForLeaders: true,
      timeout: 10_000,
    });
  }
  const present = specs.filter((spec) => existing.has(spec.topic));
  const metadata =
    present.length > 0
      ? await retryWhileRetriable(() =>
          admin.fetchTopicMetadata({ topics: present.map((spec) => spec.topic) }),
        )
      : { topics: [] };
  const checks: TopicCheck[] = [];
  for (const spec of specs) {
    if (!existing.has(spec.topic)) {
      logger.info({ topic: spec.topic, partitions: spec.partitions }, 'Kafka topic created');
      checks.push({ topic: spec.topic, status: 'CREATED' });
      continue;
    }
    const found = metadata.topics.find((topic) => topic.name === spec.topic);
    const actual = {
      partitions: found?.partitions.length ?? 0,
      replicationFactor: found?.partitions[0]?.replicas.length ?? 0,
    };
    if (
      actual.partitions === spec.partitions &&
      actual.replicationFactor === spec.replicationFactor
    ) {
      checks.push({ topic: spec.topic, status: 'OK' });
      continue;
    }
    const expected = { partitions: spec.partitions, replicationFactor: spec.replicationFactor };
    logger.error(
      { topic: spec.topic, expected, actual },
      `Kafka topic ${spec.topic} has ${actual.partitions} partitions with replication factor ` +
        `${actual.replicationFactor}, but the configuration asks for ${expected.partitions} and ` +
        `${expected.replicationFactor}; it is used as it is (fix the topic or the configuration)`,
    );
    checks.push({ topic: spec.topic, status: 'MISMATCH', expected, actual });
  }
  return checks;
}
