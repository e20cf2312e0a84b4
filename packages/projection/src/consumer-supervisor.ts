import { backoffDelay, sleep } from './backoff.js';
import { describeError, type Logger } from './logger.js';
import type {
  ProjectionBatchPayload,
  ProjectionConsumer,
  ProjectionConsumerConfig,
  ProjectionKafka,
} from './projection-kafka.js';

/** Options for {@link ConsumerSupervisor}. */
export interface ConsumerSupervisorOptions {
  kafka: Pick<ProjectionKafka, 'consumer'>;
  config: ProjectionConsumerConfig;
  topic: string;
  /** Partitions applied in parallel. */
  partitionsConcurrently: number;
  /** Applies one batch; `consumer` is the one that fetched it (to pause, seek or resume). */
  eachBatch: (payload: ProjectionBatchPayload, consumer: ProjectionConsumer) => Promise<void>;
  /** After each group join, with the partitions of `topic` now assigned to `consumer`. */
  onAssigned: (consumer: ProjectionConsumer, partitions: number[]) => void;
  /** Before each consumer is created (on start and for each replacement). */
  onNewConsumer?: () => void;
  /** On each crash kafkajs reports; `restart` tells whether kafkajs restarts it itself. */
  onCrash?: (error: Error, restart: boolean) => void;
  logger: Logger;
  /** Backoff bounds of replacing a crashed consumer; defaults 1 s and 30 s. */
  restartInitialMs?: number;
  restartMaxMs?: number;
}

/**
 * Keeps one consumer of the group running: creates, connects, subscribes and runs it, and
 * replaces it with a new one (with backoff) when kafkajs gives up on it.
 */
export class ConsumerSupervisor {
  private current: ProjectionConsumer | undefined;
  private running = false;
  /** Whether the current consumer has joined the group and not left it since. */
  private inGroup = false;

  constructor(private readonly options: ConsumerSupervisorOptions) {}

  /** The running consumer, if any. */
  get consumer(): ProjectionConsumer | undefined {
    return this.current;
  }

  /**
   * The current consumer while it is a member of the group: joined, and neither crashed,
   * rebalancing, stopping nor disconnected since. Calls made beside kafkajs's own loop (the
   * background offset commits) go through it only then: a commit sent while kafkajs handles
   * a crash runs its broker lookups and metadata refreshes on the client kafkajs is tearing
   * down and restarting, and a stopping consumer must not wait for it.
   */
  get member(): ProjectionConsumer | undefined {
    return this.inGroup ? this.current : undefined;
  }

  /** Whether `consumer` is the running one (not stopped, not replaced). */
  isCurrent(consumer: unknown): boolean {
    return this.running && this.current === consumer;
  }

  /** Starts the first consumer; rejects when it cannot (no replacement is tried then). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.startConsumer();
  }

  /**
   * Stops supervising and disconnects the consumer; `beforeDisconnect` runs while it is still
   * a member of the group (to commit pending offsets). Idempotent.
   */
  async stop(beforeDisconnect?: () => Promise<void>): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await beforeDisconnect?.();
    await this.current?.disconnect().catch(() => undefined);
    this.current = undefined;
    this.inGroup = false;
  }

  private async startConsumer(): Promise<void> {
    const { kafka, config, topic, logger } = this.options;
    this.options.onNewConsumer?.();
    const c = kafka.consumer(config);
    this.current = c;
    this.inGroup = false;
    const left = () => {
      if (this.current === c) this.inGroup = false;
    };
    c.on('consumer.rebalancing', left);
    c.on('consumer.stop', left);
    c.on('consumer.disconnect', left);
    c.on('consumer.group_join', ({ payload }) => {
      if (this.current === c) this.inGroup = true;
      this.options.onAssigned(c, payload.memberAssignment[topic] ?? []);
    });
    c.on('consumer.crash', ({ payload }) => {
      left();
      this.options.onCrash?.(payload.error, payload.restart);
      logger.error(
        { ...describeError(payload.error), restart: payload.restart },
        'consumer crashed',
      );
      // kafkajs restarts the consumer itself only after a retriable error; after any other
      // it stays stopped, and the projector would sit idle while /healthz still answers.
      if (!payload.restart) void this.replace(c, 1);
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently,
      eachBatch: (payload) => this.options.eachBatch(payload, c),
    });
  }

  /** Replaces a consumer kafkajs gave up on by a new one, with backoff, while running. */
  private async replace(crashed: ProjectionConsumer, attempt: number): Promise<void> {
    const delay = backoffDelay(
      attempt,
      this.options.restartInitialMs ?? 1000,
      this.options.restartMaxMs ?? 30_000,
    );
    this.options.logger.warn({ attempt, retryInMs: delay }, 'replacing the crashed consumer');
    await sleep(delay);
    if (!this.running || this.current !== crashed) return;
    await crashed.disconnect().catch(() => undefined);
    try {
      await this.startConsumer();
    } catch (error) {
      this.options.logger.error({ ...describeError(error) }, 'could not start a new consumer');
      if (this.current) await this.replace(this.current, attempt + 1);
    }
  }
}
