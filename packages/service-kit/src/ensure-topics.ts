import { pollUntil } from './poll-until.js';
import { isRetriableKafkaError } from './retry.js';

/** The subset of a kafkajs `Admin` that {@link ensureTopics} uses. */
export interface TopicAdmin {
  listTopics(): Promise<string[]>;
  createTopics(options: {
    topics: {
      topic: string;
      numPartitions: number;
      replicationFactor: number;
      configEntries?: { name: string; value: string }[];
    }[];
    waitForLeaders?: boolean;
    timeout?: number;
  }): Promise<boolean>;
  fetchTopicMetadata(options: { topics: string[] }): Promise<{
    topics: {
      name: string;
      partitions: { partitionId: number; leader: number; replicas: number[] }[];
    }[];
  }>;
}

/** A topic with the shape it should have. */
export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /**
   * `min.insync.replicas` set when it is created: how many copies an acks=all write must reach.
   * Default: the broker's (1 on a single node, 2 on a local three-node cluster).
   */
  minInsyncReplicas?: number;
  /** Topic configs set when it is created (e.g. `{ 'retention.ms': '-1' }`). */
  config?: Record<string, string>;
}

/** The shape of a topic. */
export interface TopicShape {
  partitions: number;
  replicationFactor: number;
}

/** What {@link ensureTopics} found or did for one topic. */
export type TopicCheck =
  | { topic: string; status: 'CREATED' | 'OK' }
  | { topic: string; status: 'MISMATCH'; expected: TopicShape; actual: TopicShape };

/** The logger calls {@link ensureTopics} makes. */
export interface TopicLogger {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** Options of {@link ensureTopics}. */
export interface EnsureTopicsOptions {
  logger?: TopicLogger;
  /** How long to wait for every partition to have a leader; default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

type Metadata = Awaited<ReturnType<TopicAdmin['fetchTopicMetadata']>>;

/**
 * Creates each topic that does not exist yet (unclean leader election off, with the spec's
 * `min.insync.replicas`), then waits until every partition of every topic
 * has a leader, so a producer's first send does not fail with "leader not available". Existing
 * topics are checked, not changed: a partition count or replication factor that differs from
 * the spec is logged as an error and reported as MISMATCH (changing partitions would move keys
 * between partitions and so break per-aggregate ordering). Throws when the cluster cannot be
 * reached, on a non-retriable error, or when leaders do not appear in time.
 *
 * Not kafkajs's `waitForLeaders: true`: on KRaft the controller answers CreateTopics before
 * the broker's metadata cache has the topic, and kafkajs's wait then fails with
 * UNKNOWN_TOPIC_OR_PARTITION instead of retrying. The wait here retries retriable errors.
 */
export async function ensureTopics(
  admin: TopicAdmin,
  specs: readonly TopicSpec[],
  options: EnsureTopicsOptions = {},
): Promise<TopicCheck[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: false,
      timeout: timeoutMs,
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor,
        configEntries: Object.entries(creationConfig(spec)).map(([name, value]) => ({
          name,
          value,
        })),
      })),
    });
  }
  const metadata = await waitForLeaders(admin, specs, timeoutMs, options.signal);
  return specs.map((spec) => {
    const found = metadata.topics.find((topic) => topic.name === spec.topic);
    const actual = {
      partitions: found?.partitions.length ?? 0,
      replicationFactor: found?.partitions[0]?.replicas.length ?? 0,
    };
    if (!existing.has(spec.topic)) {
      options.logger?.info(
        { topic: spec.topic, partitions: actual.partitions },
        'Kafka topic created',
      );
      return { topic: spec.topic, status: 'CREATED' };
    }
    if (
      actual.partitions === spec.partitions &&
      actual.replicationFactor === spec.replicationFactor
    ) {
      return { topic: spec.topic, status: 'OK' };
    }
    const expected = { partitions: spec.partitions, replicationFactor: spec.replicationFactor };
    options.logger?.error(
      { topic: spec.topic, expected, actual },
      `Kafka topic ${spec.topic} has ${actual.partitions} partitions with replication factor ` +
        `${actual.replicationFactor}, but the configuration asks for ${expected.partitions} and ` +
        `${expected.replicationFactor}; it is used as it is (fix the topic or the configuration)`,
    );
    return { topic: spec.topic, status: 'MISMATCH', expected, actual };
  });
}

/**
 * The configs a topic is created with: unclean leader election off (an out-of-sync replica
 * elected leader silently drops acknowledged writes), the spec's min ISR, then the spec's own
 * configs, which win.
 */
function creationConfig(spec: TopicSpec): Record<string, string> {
  return {
    'unclean.leader.election.enable': 'false',
    ...(spec.minInsyncReplicas === undefined
      ? {}
      : { 'min.insync.replicas': String(spec.minInsyncReplicas) }),
    ...spec.config,
  };
}

async function waitForLeaders(
  admin: TopicAdmin,
  specs: readonly TopicSpec[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Metadata> {
  const topics = specs.map((spec) => spec.topic);
  let fatal: unknown;
  const outcome = await pollUntil<Metadata>(
    async () => {
      let metadata: Metadata;
      try {
        metadata = await admin.fetchTopicMetadata({ topics });
      } catch (error) {
        if (isRetriableKafkaError(error)) throw error;
        fatal = error;
        return { status: 'stop', reason: 'non-retriable error' };
      }
      const leaderless = topics.filter((name) => {
        const partitions = metadata.topics.find((t) => t.name === name)?.partitions ?? [];
        return partitions.length === 0 || partitions.some((p) => p.leader < 0);
      });
      return leaderless.length === 0
        ? { status: 'done', value: metadata }
        : { status: 'wait', reason: `${leaderless.join(', ')}: partitions without a leader` };
    },
    { timeoutMs, intervalMs: 100, signal },
  );
  if (outcome.ok) return outcome.value;
  if (fatal !== undefined) throw fatal;
  signal?.throwIfAborted();
  throw new Error(`Kafka topics have no leaders after ${timeoutMs} ms: ${outcome.detail}`);
}
