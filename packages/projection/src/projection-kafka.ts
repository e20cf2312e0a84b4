import type { BatchMessage } from './apply-batch.js';

/**
 * The narrow Kafka port of the projection runtime: only the consumer, producer and admin calls
 * it makes, the way kysely's `PostgresPool` is the subset of pg's Pool it needs. kafkajs's
 * `Kafka` satisfies it as it is; unit tests pass a fake, so the runtime's decisions (commit
 * coalescing, restarts, pause/resume) are tested without a broker.
 */
export interface ProjectionKafka {
  consumer(config: ProjectionConsumerConfig): ProjectionConsumer;
  producer(config: {
    idempotent: boolean;
    maxInFlightRequests: number;
    allowAutoTopicCreation: boolean;
  }): ProjectionProducer;
  admin(): ProjectionAdmin;
}

/** The consumer settings the runtime chooses (a subset of kafkajs's `ConsumerConfig`). */
export interface ProjectionConsumerConfig {
  groupId: string;
  allowAutoTopicCreation: boolean;
  maxBytesPerPartition: number;
  maxBytes: number;
  maxWaitTimeInMs: number;
  sessionTimeout: number;
  heartbeatInterval: number;
}

/** A topic, partition and offset (kafkajs's `TopicPartitionOffset`). */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** One partition's fetched batch, as `eachBatch` sees it (a subset of kafkajs's payload). */
export interface ProjectionBatchPayload {
  batch: {
    topic: string;
    partition: number;
    highWatermark: string;
    messages: BatchMessage[];
    lastOffset(): string;
  };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** The consumer calls of the runtime (a subset of kafkajs's `Consumer`). */
export interface ProjectionConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topic: string; fromBeginning: boolean }): Promise<void>;
  run(config: {
    autoCommit: boolean;
    eachBatchAutoResolve: boolean;
    partitionsConsumedConcurrently: number;
    eachBatch: (payload: ProjectionBatchPayload) => Promise<void>;
  }): Promise<void>;
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>;
  seek(position: TopicPartitionOffset): void;
  pause(topics: Array<{ topic: string; partitions: number[] }>): void;
  resume(topics: Array<{ topic: string; partitions: number[] }>): void;
  on(
    event: 'consumer.group_join',
    listener: (event: { payload: { memberAssignment: Record<string, number[]> } }) => void,
  ): unknown;
  on(
    event: 'consumer.crash',
    listener: (event: { payload: { error: Error; restart: boolean } }) => void,
  ): unknown;
  /** The moments the consumer stops being a member of the group (until its next join). */
  on(
    event: 'consumer.rebalancing' | 'consumer.stop' | 'consumer.disconnect',
    listener: () => void,
  ): unknown;
}

/** A message the runtime produces (dead letters). */
export interface ProjectionOutgoingMessage {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer>;
}

/** The producer calls of the runtime (a subset of kafkajs's `Producer`). */
export interface ProjectionProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: {
    topic: string;
    acks: number;
    messages: ProjectionOutgoingMessage[];
  }): Promise<unknown>;
}

/** The admin calls of the runtime (a subset of kafkajs's `Admin`). */
export interface ProjectionAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  fetchTopicOffsets(
    topic: string,
  ): Promise<Array<{ partition: number; offset: string; high: string; low: string }>>;
  /** The groups' members (a rebuild waits for the service to join the new version's group). */
  describeGroups(
    groupIds: string[],
  ): Promise<{ groups: Array<{ groupId: string; members: Array<{ clientId: string }> }> }>;
}
