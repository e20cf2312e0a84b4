import type {
  ProjectionAdmin,
  ProjectionBatchPayload,
  ProjectionConsumer,
  ProjectionConsumerConfig,
  ProjectionKafka,
  ProjectionProducer,
  TopicPartitionOffset,
} from '../src/projection-kafka.js';

type Listener = (event: { payload: never }) => void;

/** A consumer that records the runtime's calls; the test fires its events. */
export class FakeConsumer implements ProjectionConsumer {
  readonly calls: string[] = [];
  readonly commits: TopicPartitionOffset[][] = [];
  readonly seeks: TopicPartitionOffset[] = [];
  readonly paused = new Set<number>();
  eachBatch: ((payload: ProjectionBatchPayload) => Promise<void>) | undefined;
  /** Makes commitOffsets wait for the test (resolve it with `releaseCommit`). */
  holdCommits = false;
  failCommits = false;
  private readonly held: Array<() => void> = [];
  private readonly listeners = new Map<string, Listener>();

  constructor(readonly config: ProjectionConsumerConfig) {}

  async connect() {
    this.calls.push('connect');
  }
  async disconnect() {
    this.calls.push('disconnect');
  }
  async subscribe() {
    this.calls.push('subscribe');
  }
  async run(config: Parameters<ProjectionConsumer['run']>[0]) {
    this.calls.push('run');
    this.eachBatch = config.eachBatch;
  }
  /** commitOffsets calls made (settled or not). */
  commitRequests = 0;
  async commitOffsets(offsets: TopicPartitionOffset[]) {
    this.commitRequests++;
    if (this.holdCommits) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.failCommits) throw new Error('commit refused');
    this.commits.push(offsets);
  }
  releaseCommit() {
    this.held.shift()?.();
  }
  seek(position: TopicPartitionOffset) {
    this.seeks.push(position);
  }
  pause(topics: Array<{ topic: string; partitions: number[] }>) {
    for (const t of topics) for (const p of t.partitions) this.paused.add(p);
  }
  resume(topics: Array<{ topic: string; partitions: number[] }>) {
    for (const t of topics) for (const p of t.partitions) this.paused.delete(p);
  }
  on(event: string, listener: Listener): unknown {
    this.listeners.set(event, listener);
    return () => this.listeners.delete(event);
  }
  /** Fires a group join with `partitions` of `topic` assigned. */
  join(topic: string, partitions: number[]) {
    this.fire('consumer.group_join', { memberAssignment: { [topic]: partitions } });
  }
  /** Fires a crash; `restart`: kafkajs restarts the consumer itself. */
  crash(restart: boolean) {
    this.fire('consumer.crash', { error: new Error('broker gone'), restart });
  }
  /** Fires one of the events after which the consumer is no longer a member of the group. */
  leave(event: 'consumer.rebalancing' | 'consumer.stop' | 'consumer.disconnect') {
    this.fire(event, {});
  }
  private fire(event: string, payload: unknown) {
    this.listeners.get(event)?.({ payload: payload as never });
  }
}

/** A Kafka port whose consumers are {@link FakeConsumer}s; `failConnects` fails the next ones. */
export class FakeProjectionKafka implements ProjectionKafka {
  readonly consumers: FakeConsumer[] = [];
  failConnects = 0;

  consumer(config: ProjectionConsumerConfig): FakeConsumer {
    const consumer = new FakeConsumer(config);
    if (this.failConnects > 0) {
      this.failConnects--;
      consumer.connect = async () => {
        throw new Error('connection refused');
      };
    }
    this.consumers.push(consumer);
    return consumer;
  }
  producer(): ProjectionProducer {
    return { connect: async () => {}, disconnect: async () => {}, send: async () => [] };
  }
  admin(): ProjectionAdmin {
    return {
      connect: async () => {},
      disconnect: async () => {},
      fetchTopicOffsets: async () => [],
      describeGroups: async () => ({ groups: [] }),
    };
  }
}
