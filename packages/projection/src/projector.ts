import type { Database } from '@novamed-stream/db';
import { DEAD_LETTER_TOPIC, EVENTS_TOPIC } from '@novamed-stream/events';
import type { AggregateState } from '@novamed-stream/read-models';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Kysely } from 'kysely';
import { applyBatch, type BatchOutcome, type RejectedMessage } from './apply-batch.js';
import { backoffDelay, sleep } from './backoff.js';
import { classifyFailure, type Failure } from './classify-failure.js';
import { type LagHealth, LagMonitor } from './lag-monitor.js';
import { describeError, type Logger, silentLogger } from './logger.js';
import { type ProjectorDefinition, projectorGroupId } from './projector-definition.js';
import { ProjectorMetrics } from './projector-metrics.js';

/** Options for {@link createProjector}. */
export interface ProjectorOptions<S extends AggregateState> {
  definition: ProjectorDefinition<S>;
  /** The read-model version this instance writes (its tables must exist). */
  version: number;
  kafka: Kafka;
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
   * in Postgres are what the projector resumes from). Default 0: after every batch, awaited.
   * Above 0, batches do not wait for that round trip (commits are coalesced and sent in the
   * background; `stop()` commits what is pending): lower latency, measured in docs/benchmarks.md.
   */
  offsetCommitIntervalMs?: number;
  /** Called after each committed batch (tests and progress bars). */
  onBatch?: (info: {
    partition: number;
    outcome: BatchOutcome & { ok: true };
    highWatermark: string;
  }) => void;
}

/** A partition whose batches fail (paused, retried after a backoff), as health reports it. */
export interface RetryingPartition {
  partition: number;
  /** Failed attempts in a row. */
  attempts: number;
  /** When the first of them failed (ISO). */
  since: string;
  /** The last failure's kind and code (a SQLSTATE, a Node code or an error class). */
  kind: Failure['kind'];
  code: string;
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

/** A partition paused after a failed batch, until its resume timer fires. */
interface RetryState {
  attempts: number;
  since: number;
  failure: Failure;
  timer: NodeJS.Timeout | undefined;
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
  const { definition, version, kafka, db } = options;
  const topic = options.topic ?? EVENTS_TOPIC;
  const groupId = options.groupId ?? projectorGroupId(definition.name, version, topic);
  const deadLetterTopic =
    options.deadLetterTopic === undefined ? DEAD_LETTER_TOPIC : options.deadLetterTopic;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? new ProjectorMetrics();
  const labels = { projector: definition.name };
  const lag = new LagMonitor(options.stallAfterMs ?? 60_000);
  const lowWatermarks = new Map<number, string>();
  assertColumnsCoverState(definition);

  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let running = false;
  const retrying = new Map<number, RetryState>();
  // At 0 from the start, so the first crash is an increase Prometheus can see, and a projector
  // that never applies a batch after a restart still has a batch count (of 0) to alert on. Only
  // for a fresh registry: a service that moves to a new version keeps its metrics object, and
  // zeroing its histogram again would look like a counter reset.
  if (metrics.projectorName !== definition.name) {
    metrics.consumerCrashes.inc(labels, 0);
    metrics.batchSize.zero(labels);
  }
  metrics.projectorName = definition.name;
  metrics.stalledPartitions = () => {
    const health = lag.health();
    return health.healthy ? [] : health.partitions;
  };

  /** Forgets a partition's retry state (recovered, revoked or stopping). */
  function clearRetry(partition: number): void {
    const state = retrying.get(partition);
    if (state === undefined) return;
    clearTimeout(state.timer);
    retrying.delete(partition);
    metrics.partitionRetrying.remove({ ...labels, partition: String(partition) });
  }

  // Applied positions not yet committed to Kafka, per partition (the latest wins).
  const commitIntervalMs = options.offsetCommitIntervalMs ?? 0;
  const pendingCommits = new Map<number, string>();
  let commitTimer: NodeJS.Timeout | undefined;
  let commitChain: Promise<void> = Promise.resolve();
  /** Commits what is pending, one commit request at a time (so offsets never go backwards). */
  function flushCommits(): Promise<void> {
    clearTimeout(commitTimer);
    commitTimer = undefined;
    commitChain = commitChain.then(async () => {
      if (pendingCommits.size === 0 || !consumer) return;
      const offsets = [...pendingCommits].map(([partition, offset]) => ({
        topic,
        partition,
        offset,
      }));
      pendingCommits.clear();
      await consumer
        .commitOffsets(offsets)
        .catch((error) =>
          logger.warn(
            { ...describeError(error) },
            'offset commit to Kafka failed; the checkpoint in Postgres is authoritative',
          ),
        );
    });
    return commitChain;
  }

  async function checkpoints(partitions: number[]): Promise<Map<number, string>> {
    const rows = await db
      .selectFrom('novamed.projection_checkpoints')
      .select(['partition', 'next_offset'])
      .where('projector', '=', definition.name)
      .where('version', '=', version)
      .where('topic', '=', topic)
      .where('partition', 'in', partitions)
      .execute();
    return new Map(rows.map((r) => [r.partition, r.next_offset]));
  }

  async function refreshLowWatermarks(): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const p of await admin.fetchTopicOffsets(topic)) lowWatermarks.set(p.partition, p.low);
    } finally {
      await admin.disconnect();
    }
  }

  async function deadLetter(
    rejected: readonly RejectedMessage[],
    partition: number,
  ): Promise<void> {
    if (deadLetterTopic === null || producer === undefined || rejected.length === 0) return;
    await producer.send({
      topic: deadLetterTopic,
      acks: -1,
      messages: rejected.map((r) => ({
        key: r.eventId,
        value: r.message.value,
        headers: {
          ...(r.message.headers as Record<string, string | Buffer>),
          'novamed-projector': definition.name,
          'novamed-error-reason': r.reason,
          'novamed-error-details': JSON.stringify(r.details).slice(0, 4000),
          'novamed-source': `${topic}/${partition}/${r.offset}`,
        },
      })),
    });
  }

  /**
   * Pauses a partition whose batch failed, seeks it back to that batch and resumes it after
   * a backoff. Returning from eachBatch at once keeps the fetch loop (and so every other
   * partition) going; kafkajs skips paused partitions when it fetches.
   */
  function retryLater(
    c: Consumer,
    batch: EachBatchPayload['batch'],
    failure: Failure,
    firstOffset: string,
  ): void {
    const partition = batch.partition;
    const state = retrying.get(partition) ?? {
      attempts: 0,
      since: Date.now(),
      failure,
      timer: undefined,
    };
    state.attempts++;
    state.failure = failure;
    retrying.set(partition, state);
    const partitionLabels = { ...labels, partition: String(partition) };
    metrics.databaseRetries.inc(labels);
    metrics.partitionRetrying.set(partitionLabels, 1);
    const lagNow = BigInt(batch.highWatermark) - BigInt(firstOffset);
    lag.observe(partition, lagNow < 0n ? 0n : lagNow);
    metrics.lagOffsets.set(partitionLabels, Number(lagNow < 0n ? 0n : lagNow));
    const delay = backoffDelay(
      state.attempts,
      options.retryInitialMs ?? 100,
      options.retryMaxMs ?? 10_000,
    );
    // Only the kind, code and a fixed text: a driver message can quote the offending value.
    logger.warn(
      {
        partition,
        attempt: state.attempts,
        retryInMs: delay,
        failure: failure.kind,
        code: failure.code,
        description: failure.description,
      },
      'batch failed; partition paused, retrying it later',
    );
    c.pause([{ topic, partitions: [partition] }]);
    c.seek({ topic, partition, offset: firstOffset });
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      if (running && consumer === c && retrying.get(partition) === state) {
        c.resume([{ topic, partitions: [partition] }]);
      }
    }, delay);
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const firstOffset = batch.messages[0]?.offset;
    const c = consumer;
    if (firstOffset === undefined || c === undefined) return;
    if (!isRunning() || isStale()) return;
    const started = performance.now();
    const low = lowWatermarks.get(batch.partition);
    const input = {
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages,
      ...(low === undefined ? {} : { lowWatermark: low }),
    };
    const lockTimeoutMs = options.lockTimeoutMs ?? 5000;
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
    let result = await attempt(false);
    for (const isolate of [false, true]) {
      if (result.ok || !narrowable(result.failure) || !isRunning() || isStale()) break;
      // Not plainly transient: once more as it is (it may pass), then narrowed to the
      // message(s) that fail on their own.
      logger.warn(
        {
          partition: batch.partition,
          failure: result.failure.kind,
          code: result.failure.code,
          description: result.failure.description,
          next: isolate ? 'narrowing the batch' : 'retrying once',
        },
        'batch failed for a reason that is not plainly transient',
      );
      result = await attempt(isolate);
    }
    if (!result.ok) {
      if (isRunning() && !isStale()) retryLater(c, batch, result.failure, firstOffset);
      return;
    }
    const outcome = result.outcome;
    if (retrying.has(batch.partition)) {
      logger.info(
        { partition: batch.partition, attempts: retrying.get(batch.partition)?.attempts },
        'partition recovered',
      );
      clearRetry(batch.partition);
    }

    if (!outcome.ok) {
      // Kafka is ahead of our checkpoint (e.g. a restored database): go back to it.
      if (!lowWatermarks.has(batch.partition)) await refreshLowWatermarks().catch(() => undefined);
      logger.warn(
        {
          partition: batch.partition,
          checkpoint: outcome.checkpoint,
          firstOffset: outcome.firstOffset,
        },
        'batch starts after the stored checkpoint; seeking back to it',
      );
      consumer?.seek({
        topic: batch.topic,
        partition: batch.partition,
        offset: outcome.checkpoint,
      });
      return;
    }

    await deadLetter(outcome.rejected, batch.partition).catch((error) =>
      logger.error(
        { ...describeError(error), partition: batch.partition },
        'dead-letter append failed; rows are in projection_errors',
      ),
    );
    payload.resolveOffset(batch.lastOffset());
    pendingCommits.set(batch.partition, outcome.nextOffset);
    if (commitIntervalMs === 0 || !isRunning()) await flushCommits();
    else commitTimer ??= setTimeout(() => void flushCommits(), commitIntervalMs);

    const lagNow = BigInt(batch.highWatermark) - BigInt(outcome.nextOffset);
    lag.observe(batch.partition, lagNow < 0n ? 0n : lagNow);
    const partitionLabels = { ...labels, partition: String(batch.partition) };
    metrics.lagOffsets.set(partitionLabels, Number(lagNow < 0n ? 0n : lagNow));
    if (outcome.latestReceivedAt !== null) {
      metrics.lagSeconds.set(
        partitionLabels,
        Math.max(0, (Date.now() - Date.parse(outcome.latestReceivedAt)) / 1000),
      );
    }
    metrics.applied.inc(labels, outcome.applied);
    metrics.duplicates.inc(labels, outcome.duplicates);
    metrics.belowCheckpoint.inc(labels, outcome.belowCheckpoint);
    metrics.ignored.inc(labels, outcome.ignored);
    metrics.unknown.inc(labels, outcome.unknown);
    for (const r of outcome.rejected) metrics.errors.inc({ ...labels, reason: r.reason });
    metrics.batchSize.observe(labels, batch.messages.length);
    metrics.batchDuration.observe(labels, (performance.now() - started) / 1000);
    options.onBatch?.({ partition: batch.partition, outcome, highWatermark: batch.highWatermark });
  }

  /** Creates, connects and runs the consumer (on start, and to replace a crashed one). */
  async function startConsumer(): Promise<void> {
    for (const p of [...retrying.keys()]) clearRetry(p);
    consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      maxWaitTimeInMs: 100,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(500, Math.floor((options.sessionTimeoutMs ?? 30_000) / 10)),
    });
    const c = consumer;
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[topic] ?? [];
      lag.retain(partitions);
      // kafkajs keeps pauses across rebalances: a revoked partition paused here would stay
      // paused if it came back later.
      for (const p of [...retrying.keys()]) {
        if (!partitions.includes(p)) {
          clearRetry(p);
          c.resume([{ topic, partitions: [p] }]);
        }
      }
      for (const p of pendingCommits.keys()) if (!partitions.includes(p)) pendingCommits.delete(p);
      checkpoints(partitions)
        .then(async (stored) => {
          // No checkpoint row: nothing of that partition was applied to THIS database (a new
          // or restored one), whatever offsets the group committed: start from the log start.
          const missing = partitions.filter((p) => !stored.has(p));
          if (missing.length > 0) {
            await refreshLowWatermarks();
            for (const p of missing) stored.set(p, lowWatermarks.get(p) ?? '0');
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
    });
    c.on(c.events.CRASH, ({ payload }) => {
      metrics.consumerCrashes.inc(labels);
      logger.error(
        { ...describeError(payload.error), restart: payload.restart },
        'consumer crashed',
      );
      // kafkajs restarts the consumer itself only after a retriable error; after any other
      // it stays stopped, and the projector would sit idle while /healthz still answers.
      if (!payload.restart) void replaceConsumer(c, 1);
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently ?? 3,
      eachBatch,
    });
  }

  /** Replaces a consumer kafkajs gave up on by a new one, with backoff, while running. */
  async function replaceConsumer(crashed: Consumer, attempt: number): Promise<void> {
    const delay = backoffDelay(attempt, 1000, 30_000);
    logger.warn({ attempt, retryInMs: delay }, 'replacing the crashed consumer');
    await sleep(delay);
    if (!running || consumer !== crashed) return;
    await crashed.disconnect().catch(() => undefined);
    try {
      await startConsumer();
    } catch (error) {
      logger.error({ ...describeError(error) }, 'could not start a new consumer');
      if (consumer) await replaceConsumer(consumer, attempt + 1);
    }
  }

  return {
    metrics,
    async start() {
      if (running) return;
      running = true;
      if (deadLetterTopic !== null) {
        producer = kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        });
        await producer.connect();
      }
      await refreshLowWatermarks().catch(() => undefined);
      await startConsumer();
      logger.info({ groupId, topic, version }, 'projector started');
    },
    async stop() {
      if (!running) return;
      running = false;
      // Commit what is pending while still a member; a batch that finishes during the
      // disconnect commits its own position (it sees isRunning() false).
      await flushCommits();
      await consumer?.disconnect().catch(() => undefined);
      for (const p of [...retrying.keys()]) clearRetry(p);
      await producer?.disconnect().catch(() => undefined);
      consumer = undefined;
      producer = undefined;
    },
    health() {
      const paused = [...retrying].map(([partition, r]) => ({
        partition,
        attempts: r.attempts,
        since: new Date(r.since).toISOString(),
        kind: r.failure.kind,
        code: r.failure.code,
      }));
      return {
        ...lag.health(),
        running,
        retrying: paused.sort((a, b) => a.partition - b.partition),
      };
    },
  };
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

/** Failures worth narrowing a batch for: neither transient nor the database's own. */
function narrowable(failure: Failure): boolean {
  switch (failure.kind) {
    case 'MESSAGE':
    case 'UNKNOWN':
      return true;
    case 'TRANSIENT':
    case 'ENVIRONMENT':
      return false;
    default: {
      const unreachable: never = failure.kind;
      return unreachable;
    }
  }
}
