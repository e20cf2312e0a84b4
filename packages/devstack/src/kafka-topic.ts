import { createKafka, ensureTopics, type KafkaConnection } from '@novamed-stream/service-kit';

/** Options for {@link ensureTopic}. */
export interface EnsureTopicOptions {
  brokers: readonly string[];
  topic: string;
  /** Partitions when the topic is created. Default 1. */
  partitions?: number;
  /** Replication factor when the topic is created. Default 1. */
  replicationFactor?: number;
  /** `min.insync.replicas` when the topic is created. Default: the broker's. */
  minInsyncReplicas?: number;
  /** Topic configs when the topic is created (e.g. `{ 'retention.ms': '-1' }`). */
  config?: Record<string, string>;
  /** Give up after this long. Default 30 s. */
  timeoutMs?: number;
  /** TLS and SASL (a secured stack's `kafkaConnection`); default plain text. */
  connection?: KafkaConnection | undefined;
}

/** The topic as it is now: whether this call created it and how many partitions it has. */
export interface EnsuredTopic {
  created: boolean;
  partitions: number;
}

/**
 * Creates `topic` unless it exists, then waits until every partition has a leader (the service
 * kit's KRaft-safe `ensureTopics`), so a producer's first send does not fail with "leader not
 * available". An existing topic is left as it is (its partition count is reported, not changed).
 */
export async function ensureTopic(options: EnsureTopicOptions): Promise<EnsuredTopic> {
  const admin = createKafka({
    clientId: 'devstack-topics',
    brokers: options.brokers,
    ...(options.connection ? { connection: options.connection } : {}),
  }).admin();
  await admin.connect();
  try {
    const spec = {
      topic: options.topic,
      partitions: options.partitions ?? 1,
      replicationFactor: options.replicationFactor ?? 1,
      minInsyncReplicas: options.minInsyncReplicas,
      ...(options.config ? { config: options.config } : {}),
    };
    const [check] = await ensureTopics(admin, [spec], {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    switch (check?.status) {
      case 'CREATED':
        return { created: true, partitions: spec.partitions };
      case 'OK':
        return { created: false, partitions: spec.partitions };
      case 'MISMATCH':
        return { created: false, partitions: check.actual.partitions };
      case undefined:
        throw new Error(`ensureTopics reported nothing for ${options.topic}`);
      default:
        return assertNever(check);
    }
  } finally {
    await admin.disconnect();
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected topic check ${JSON.stringify(value)}`);
}
