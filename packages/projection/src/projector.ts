import type { Database } from '@novamed-stream/db';
import { DEAD_LETTER_TOPIC, EVENTS_TOPIC } from '@novamed-stream/events';
import type { AggregateState } from '@novamed-stream/read-models';
import type { Kysely } from 'kysely';
import { applyBatch, type BatchOutcome, type RejectedMessage } from './apply-batch.js';
import { applyWithNarrowing } from './apply-with-narrowing.js';
import { readCheckpoints } from './checkpoint-store.js';
import { classifyFailure } from './classify-failure.js';
import { ConsumerSupervisor } from './consumer-supervisor.js';
import { type LagHealth, LagMonitor } from './lag-monitor.js';
import { describeError, type Logger, silentLogger } from './logger.js';
import { OffsetCommitter } from './offset-committer.js';
import { PartitionRetries, type RetryingPartition } from './partition-retries.js';
import type {
  ProjectionBatchPayload,
  ProjectionConsumer,
  ProjectionKafka,
  ProjectionProducer,
} from './projection-kafka.js';
import { type ProjectorDefinition, projectorGroupId } from './projector-definition.js';
import { ProjectorMetrics } from './projector-metrics.js';

/** Options for {@link createProjector}. */
export interface ProjectorOptions<S extends AggregateState> {
  definition: ProjectorDefinition<S>;
  /** The read-model version this instance writes (its tables must exist). */
  version: number;
  /** kafkajs's `Kafka`, or anything with the calls of {@link ProjectionKafka}. */
  kafka: ProjectionKafka;
  db: Kysely<Database>;
  /** Source topic; default `novamed.events.v1`. */
  topic?: string;
  /**
   * Consumer group; default `novamed-projector-<name>-v<version>` (plus `-<topic>` for a topic
   * other than `novamed.events.v1`, see {@link projectorGroupId}).
   */
  groupId?: string;
  /** Dead-letter topic for rejected messages; default `novamed.dead-letter.v1`; null: none. */
  deadLetterTopic?: string | null;
  logger?: Logger;
  metrics?: ProjectorMetrics;
  /** Backoff bounds of a partition whose batch failed; defaults 100 ms and 10 s. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /**
   * `lock_timeout` of a batch transaction; default 5000 ms. A batch that waits longer for a lock
   * (held by another partition's batch, another instance, a manual session) fails transiently
   * and its partition retries later, instead of holding up the fetch loop.
   */
  lockTimeoutMs?: number;
  /** Unhealthy when lag has not shrunk for this long while there is lag; default 60 s. */
  stallAfterMs?: number;
  /** Max bytes fetched per partition per request; bigger batches, fewer transactions. */
  maxBytesPerPartition?: number;
  /**
   * Consumer group session timeout; default 30 s (kafkajs's). A crashed instance keeps its
   * partitions this long before the group rebalances them to the others.
   */
  sessionTimeoutMs?: number;
  /** Partitions applied in parallel (each in its own transaction); default 3. */
  partitionsConcurrently?: number;
  /**
   * How often the applied positions are committed to Kafka (for lag tools only: the checkpoints
   * in Postgres are what the projector resumes from). Default 1000: batches do not wait for
   * that round trip; commits are coalesced and sent in the background, only while the consumer
   * is a member of the group, and `stop()` commits what is pending (lower latency, measured in
   * docs/benchmarks.md). 0: after every batch, awaited.
   */
  offsetCommitIntervalMs?: number;
  /** Called after each committed batch (tests and progress bars). */
  onBatch?: (info: {
    partition: number;
    outcome: BatchOutcome & { ok: true };
    highWatermark: string;
  }) => void;
}

/** A running projector. */
export interface Projector {
  readonly metrics: ProjectorMetrics;
  /** Joins the group and starts applying batches. */
  start(): Promise<void>;
  /** Leaves the group after the batch in progress; idempotent. */
  stop(): Promise<void>;
  /**
   * The lag verdict (unhealthy naming exactly the partitions whose lag has not shrunk for
   * `stallAfterMs`), plus the partitions paused right now because their batch failed.
   */
  health(): LagHealth & { running: boolean; retrying: RetryingPartition[] };
}

/**
 * The projection runtime: one kafkajs consumer group per projector version, `eachBatch` with
 * auto-commit off. Each batch is applied in one Postgres transaction that also advances the
 * checkpoint ({@link applyBatch}); the applied positions are then committed to Kafka (so lag
 * tools work), after each batch or coalesced in the background (`offsetCommitIntervalMs`).
 * On assignment it seeks to the stored checkpoints.
 *
 * Failures stay where they belong (see {@link classifyFailure}). A transient one (connection,
 * deadlock, lock timeout...) pauses only that partition, seeks it back to the failed batch
 * and resumes it after a backoff, so the other partitions keep flowing and no event is
 * skipped. A failure that is not plainly transient is retried once at once, then the batch is
 * narrowed to the message(s) that fail on their own: those go to projection_errors and the
 * dead-letter topic with a value-free reason, the rest is applied, and the checkpoint passes
 * them, all in one transaction ({@link applyBatch} with `isolate`).
 */
export function createProjector<S extends AggregateState>(options: ProjectorOptions<S>): Projector {
  return new ProjectorRuntime(options);
}

/** {@link createProjector}'s projector: the parts wired together, one method per step. */
class ProjectorRuntime<S extends AggregateState> implements Projector {
  readonly metrics: ProjectorMetrics;
  private readonly topic: string;
  private readonly groupId: string;
  private readonly deadLetterTopic: string | null;
  private readonly logger: Logger;
  private readonly labels: { projector: string };
  private readonly lag: LagMonitor;
  private readonly lowWatermarks = new Map<number, string>();
  private readonly retries: PartitionRetries;
  private readonly committer: OffsetCommitter;
  private readonly supervisor: ConsumerSupervisor;
  private producer: ProjectionProducer | undefined;
  private running = false;

  constructor(private readonly options: ProjectorOptions<S>) {
    const { definition, version } = options;
    assertColumnsCoverState(definition);
    this.topic = options.topic ?? EVENTS_TOPIC;
    this.groupId = options.groupId ?? projectorGroupId(definition.name, version, this.topic);
    this.deadLetterTopic =
      options.deadLetterTopic === undefined ? DEAD_LETTER_TOPIC : options.deadLetterTopic;
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? new ProjectorMetrics();
    this.labels = { projector: definition.name };
    this.lag = new LagMonitor(options.stallAfterMs ?? 60_000);
    this.initMetrics();
    this.retries = new PartitionRetries({
      topic: this.topic,
      projector: definition.name,
      metrics: this.metrics,
      logger: this.logger,
      ...(options.retryInitialMs === undefined ? {} : { initialMs: options.retryInitialMs }),
      ...(options.retryMaxMs === undefined ? {} : { maxMs: options.retryMaxMs }),
      isCurrent: (c) => this.running && this.supervisor.isCurrent(c),
    });
    this.committer = new OffsetCommitter({
      topic: this.topic,
      intervalMs: options.offsetCommitIntervalMs ?? 1000,
      consumer: () => this.supervisor.member,
      logger: this.logger,
    });
    const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
    this.supervisor = new ConsumerSupervisor({
      kafka: options.kafka,
      topic: this.topic,
      config: {
        groupId: this.groupId,
        allowAutoTopicCreation: false,
        maxBytesPerPartition: options.maxBytesPerPartition ?? 4 * 1024 * 1024,
        maxBytes: 32 * 1024 * 1024,
        maxWaitTimeInMs: 100,
        sessionTimeout,
        heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
      },
      partitionsConcurrently: options.partitionsConcurrently ?? 3,
      eachBatch: (payload, consumer) => this.eachBatch(payload, consumer),
      onAssigned: (consumer, partitions) => this.assigned(consumer, partitions),
      onNewConsumer: () => this.retries.clearAll(),
      onCrash: () => this.metrics.consumerCrashes.inc(this.labels),
      logger: this.logger,
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.deadLetterTopic !== null) {
      this.producer = this.options.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await this.producer.connect();
    }
    await this.refreshLowWatermarks().catch(() => undefined);
    await this.supervisor.start();
    const { groupId, topic } = this;
    this.logger.info({ groupId, topic, version: this.options.version }, 'projector started');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // Commit what is pending while still a member. A batch that finishes during the
    // disconnect cannot commit any more (kafkajs ignores commits of a stopping consumer): its
    // position is in the Postgres checkpoint, which is what the next instance resumes from.
    await this.supervisor.stop(() => this.committer.flush());
    this.retries.clearAll();
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  health(): LagHealth & { running: boolean; retrying: RetryingPartition[] } {
    return { ...this.lag.health(), running: this.running, retrying: this.retries.list() };
  }

  private initMetrics(): void {
    const { metrics, labels, lag } = this;
    // At 0 from the start, so the first crash is an increase Prometheus can see, and a
    // projector that never applies a batch after a restart still has a batch count (of 0) to
    // alert on. Only for a fresh registry: a service that moves to a new version keeps its
    // metrics object, and zeroing its histogram again would look like a counter reset.
    if (metrics.projectorName !== labels.projector) {
      metrics.consumerCrashes.inc(labels, 0);
      metrics.batchSize.zero(labels);
    }
    metrics.projectorName = labels.projector;
    metrics.stalledPartitions = () => {
      const health = lag.health();
      return health.healthy ? [] : health.partitions;
    };
  }

  /** On each group join: forget revoked partitions, seek the assigned ones to checkpoints. */
  private assigned(c: ProjectionConsumer, partitions: number[]): void {
    const { topic, logger, groupId } = this;
    this.lag.retain(partitions);
    this.retries.retain(c, partitions);
    this.committer.retain(partitions);
    const { definition, version, db } = this.options;
    readCheckpoints(db, { projector: definition.name, version, topic }, partitions)
      .then(async (stored) => {
        // No checkpoint row: nothing of that partition was applied to THIS database (a new
        // or restored one), whatever offsets the group committed: start from the log start.
        const missing = partitions.filter((p) => !stored.has(p));
        if (missing.length > 0) {
          await this.refreshLowWatermarks();
          for (const p of missing) stored.set(p, this.lowWatermarks.get(p) ?? '0');
        }
        for (const [partition, offset] of stored) c.seek({ topic, partition, offset });
        logger.info(
          { groupId, partitions, seeked: stored.size },
          'partitions assigned; resuming from stored checkpoints',
        );
      })
      .catch((error) =>
        logger.warn(
          { ...describeError(error) },
          'could not read checkpoints on assignment; the batch guard still protects them',
        ),
      );
  }

  private async refreshLowWatermarks(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      for (const p of await admin.fetchTopicOffsets(this.topic)) {
        this.lowWatermarks.set(p.partition, p.low);
      }
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Applies one fetched batch (retried once, then narrowed, when it fails for a reason that
   * is not plainly transient); a batch that still fails pauses its partition for a retry.
   */
  private async eachBatch(payload: ProjectionBatchPayload, c: ProjectionConsumer): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const firstOffset = batch.messages[0]?.offset;
    if (firstOffset === undefined || !isRunning() || isStale()) return;
    const started = performance.now();
    const { definition, version, db } = this.options;
    const low = this.lowWatermarks.get(batch.partition);
    const input = {
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages,
      ...(low === undefined ? {} : { lowWatermark: low }),
    };
    const lockTimeoutMs = this.options.lockTimeoutMs ?? 5000;
    const attempt = (isolate: boolean) =>
      applyBatch(
        db,
        definition,
        version,
        input,
        isolate
          ? { lockTimeoutMs, isolate, afterTrial: () => heartbeat().catch(() => undefined) }
          : { lockTimeoutMs },
      ).then(
        (outcome) => ({ ok: true as const, outcome }),
        (error: unknown) => ({ ok: false as const, failure: classifyFailure(error) }),
      );
    const result = await applyWithNarrowing(attempt, {
      stillOwned: () => isRunning() && !isStale(),
      onRetry: (failure, next) =>
        this.logger.warn(
          {
            partition: batch.partition,
            failure: failure.kind,
            code: failure.code,
            description: failure.description,
            next,
          },
          'batch failed for a reason that is not plainly transient',
        ),
    });
    if (!result.ok) {
      if (isRunning() && !isStale()) {
        this.retries.failed(c, batch.partition, result.failure, firstOffset);
        this.observeLag(batch.partition, batch.highWatermark, firstOffset);
      }
      return;
    }
    this.retries.succeeded(batch.partition);
    const outcome = result.outcome;
    if (!outcome.ok) return this.seekBackToCheckpoint(c, batch.partition, outcome);
    await this.deadLetter(outcome.rejected, batch.partition).catch((error) =>
      this.logger.error(
        { ...describeError(error), partition: batch.partition },
        'dead-letter append failed; rows are in projection_errors',
      ),
    );
    payload.resolveOffset(batch.lastOffset());
    await this.committer.committed(batch.partition, outcome.nextOffset, isRunning());
    this.observeLag(batch.partition, batch.highWatermark, outcome.nextOffset);
    this.recordBatch(batch.partition, outcome, batch.messages.length, started);
    this.options.onBatch?.({
      partition: batch.partition,
      outcome,
      highWatermark: batch.highWatermark,
    });
  }

  /** Kafka is ahead of our checkpoint (e.g. a restored database): go back to it. */
  private async seekBackToCheckpoint(
    c: ProjectionConsumer,
    partition: number,
    gap: BatchOutcome & { ok: false },
  ): Promise<void> {
    if (!this.lowWatermarks.has(partition)) await this.refreshLowWatermarks().catch(() => {});
    this.logger.warn(
      { partition, checkpoint: gap.checkpoint, firstOffset: gap.firstOffset },
      'batch starts after the stored checkpoint; seeking back to it',
    );
    c.seek({ topic: this.topic, partition, offset: gap.checkpoint });
  }

  private async deadLetter(rejected: readonly RejectedMessage[], partition: number): Promise<void> {
    const { deadLetterTopic, producer, topic } = this;
    if (deadLetterTopic === null || producer === undefined || rejected.length === 0) return;
    await producer.send({
      topic: deadLetterTopic,
      acks: -1,
      messages: rejected.map((r) => ({
        key: r.eventId,
        value: r.message.value,
        headers: {
          ...(r.message.headers as Record<string, string | Buffer>),
          'novamed-projector': this.labels.projector,
          'novamed-error-reason': r.reason,
          'novamed-error-details': JSON.stringify(r.details).slice(0, 4000),
          'novamed-source': `${topic}/${partition}/${r.offset}`,
        },
      })),
    });
  }

  /** Lag in offsets: from the partition's next offset to apply to its high watermark. */
  private observeLag(partition: number, highWatermark: string, nextOffset: string): void {
    const lagNow = BigInt(highWatermark) - BigInt(nextOffset);
    const clamped = lagNow < 0n ? 0n : lagNow;
    this.lag.observe(partition, clamped);
    this.metrics.lagOffsets.set({ ...this.labels, partition: String(partition) }, Number(clamped));
  }

  private recordBatch(
    partition: number,
    outcome: BatchOutcome & { ok: true },
    size: number,
    started: number,
  ): void {
    const { metrics, labels } = this;
    if (outcome.latestReceivedAt !== null) {
      metrics.lagSeconds.set(
        { ...labels, partition: String(partition) },
        Math.max(0, (Date.now() - Date.parse(outcome.latestReceivedAt)) / 1000),
      );
    }
    metrics.applied.inc(labels, outcome.applied);
    metrics.duplicates.inc(labels, outcome.duplicates);
    metrics.belowCheckpoint.inc(labels, outcome.belowCheckpoint);
    metrics.ignored.inc(labels, outcome.ignored);
    metrics.unknown.inc(labels, outcome.unknown);
    for (const r of outcome.rejected) metrics.errors.inc({ ...labels, reason: r.reason });
    metrics.batchSize.observe(labels, size);
    metrics.batchDuration.observe(labels, (performance.now() - started) / 1000);
  }
}

/** Every state field must have a column, or a stored row would lose it and break convergence. */
function assertColumnsCoverState<S extends AggregateState>(
  definition: ProjectorDefinition<S>,
): void {
  const fields = Object.keys(definition.readModel.initial('id', 'clinic')).filter(
    (f) => f !== definition.table.idColumn,
  );
  const columns = new Set(definition.table.columns.map((c) => c.name));
  const missing = fields.filter((f) => !columns.has(f));
  const extra = [...columns].filter((c) => !fields.includes(c));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `projector ${definition.name}: table columns must match the state fields (missing: ${missing.join(', ') || 'none'}; extra: ${extra.join(', ') || 'none'})`,
    );
  }
}
