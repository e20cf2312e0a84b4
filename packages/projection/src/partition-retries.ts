import { backoffDelay } from './backoff.js';
import type { Failure } from './classify-failure.js';
import type { Logger } from './logger.js';
import type { ProjectionConsumer } from './projection-kafka.js';
import type { ProjectorMetrics } from './projector-metrics.js';

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

/** Options for {@link PartitionRetries}. */
export interface PartitionRetriesOptions {
  topic: string;
  projector: string;
  metrics: ProjectorMetrics;
  logger: Logger;
  /** Backoff bounds; defaults 100 ms and 10 s. */
  initialMs?: number;
  maxMs?: number;
  /** Whether `consumer` is still the running one (a stopped or replaced one is not resumed). */
  isCurrent: (consumer: RetryConsumer) => boolean;
  now?: () => number;
  random?: () => number;
}

/** The consumer calls a retry makes. */
export type RetryConsumer = Pick<ProjectionConsumer, 'pause' | 'resume' | 'seek'>;

interface RetryState {
  attempts: number;
  since: number;
  failure: Failure;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The partitions paused because their batch failed. A failed partition is paused, sought back
 * to the failed batch and resumed after a growing backoff, so the other partitions keep
 * flowing (kafkajs skips paused partitions when it fetches) and no event is skipped.
 */
export class PartitionRetries {
  private readonly states = new Map<number, RetryState>();
  private readonly labels: { projector: string };

  constructor(private readonly options: PartitionRetriesOptions) {
    this.labels = { projector: options.projector };
  }

  /** Pauses `partition`, seeks it back to `firstOffset` and resumes it after a backoff. */
  failed(consumer: RetryConsumer, partition: number, failure: Failure, firstOffset: string): void {
    const { topic, metrics, logger } = this.options;
    const now = this.options.now ?? Date.now;
    const state = this.states.get(partition) ?? {
      attempts: 0,
      since: now(),
      failure,
      timer: undefined,
    };
    state.attempts++;
    state.failure = failure;
    this.states.set(partition, state);
    metrics.databaseRetries.inc(this.labels);
    metrics.partitionRetrying.set({ ...this.labels, partition: String(partition) }, 1);
    const delay = backoffDelay(
      state.attempts,
      this.options.initialMs ?? 100,
      this.options.maxMs ?? 10_000,
      this.options.random,
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
    consumer.pause([{ topic, partitions: [partition] }]);
    consumer.seek({ topic, partition, offset: firstOffset });
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      if (this.options.isCurrent(consumer) && this.states.get(partition) === state) {
        consumer.resume([{ topic, partitions: [partition] }]);
      }
    }, delay);
  }

  /** A batch of `partition` succeeded: forgets its retry state, if any. */
  succeeded(partition: number): void {
    const state = this.states.get(partition);
    if (state === undefined) return;
    this.options.logger.info({ partition, attempts: state.attempts }, 'partition recovered');
    this.clear(partition);
  }

  /**
   * After a rebalance: forgets the partitions no longer assigned and resumes them, since
   * kafkajs keeps pauses across rebalances (a revoked partition paused here would stay paused
   * if it came back later).
   */
  retain(consumer: RetryConsumer, partitions: readonly number[]): void {
    for (const p of [...this.states.keys()]) {
      if (!partitions.includes(p)) {
        this.clear(p);
        consumer.resume([{ topic: this.options.topic, partitions: [p] }]);
      }
    }
  }

  /** Forgets every partition (a new consumer, or stopping). */
  clearAll(): void {
    for (const p of [...this.states.keys()]) this.clear(p);
  }

  /** The paused partitions, by partition number. */
  list(): RetryingPartition[] {
    return [...this.states]
      .map(([partition, r]) => ({
        partition,
        attempts: r.attempts,
        since: new Date(r.since).toISOString(),
        kind: r.failure.kind,
        code: r.failure.code,
      }))
      .sort((a, b) => a.partition - b.partition);
  }

  private clear(partition: number): void {
    const state = this.states.get(partition);
    if (state === undefined) return;
    clearTimeout(state.timer);
    this.states.delete(partition);
    this.options.metrics.partitionRetrying.remove({
      ...this.labels,
      partition: String(partition),
    });
  }
}
