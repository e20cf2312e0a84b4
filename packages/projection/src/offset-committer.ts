import { describeError, type Logger } from './logger.js';
import type { ProjectionConsumer } from './projection-kafka.js';

/** Options for {@link OffsetCommitter}. */
export interface OffsetCommitterOptions {
  topic: string;
  /**
   * 0: every batch awaits its commit. Above 0: commits are coalesced (the latest position per
   * partition wins) and sent this many ms after the first pending one.
   */
  intervalMs: number;
  /**
   * The consumer to commit through at the time of the commit: the current one while it is a
   * member of the group, else undefined (the positions then stay pending until it is again).
   */
  consumer: () => Pick<ProjectionConsumer, 'commitOffsets'> | undefined;
  logger: Logger;
}

/**
 * Commits applied positions to Kafka, for lag tools only: the checkpoints in Postgres are what
 * the projector resumes from, so a failed commit is logged, never thrown. One commit request at
 * a time, in order, so committed offsets never go backwards.
 */
export class OffsetCommitter {
  private readonly pending = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: OffsetCommitterOptions) {}

  /**
   * Records a partition's applied position (the next offset to read). With interval 0 the
   * batch awaits its commit. Otherwise a commit is scheduled, and the batch never waits for
   * one, not even when its consumer is stopping (`running` false): kafkajs stops a consumer,
   * also to restart it after a crash, only once its batches have returned, and a commit in
   * flight while the broker is away can take the whole retry budget. The position then stays
   * pending: `flush()` before the projector leaves the group commits it, or the next commit
   * after the consumer rejoins.
   */
  async committed(partition: number, nextOffset: string, running: boolean): Promise<void> {
    this.pending.set(partition, nextOffset);
    if (this.options.intervalMs === 0) await this.flush();
    else if (running) this.timer ??= setTimeout(() => void this.flush(), this.options.intervalMs);
  }

  /** Drops the pending positions of partitions no longer assigned (another member owns them). */
  retain(partitions: readonly number[]): void {
    for (const p of this.pending.keys()) if (!partitions.includes(p)) this.pending.delete(p);
  }

  /**
   * Commits what is pending now, after any commit already in flight; with no consumer in the
   * group, keeps it pending.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(async () => {
      const consumer = this.options.consumer();
      if (this.pending.size === 0 || !consumer) return;
      const offsets = [...this.pending].map(([partition, offset]) => ({
        topic: this.options.topic,
        partition,
        offset,
      }));
      this.pending.clear();
      await consumer
        .commitOffsets(offsets)
        .catch((error) =>
          this.options.logger.warn(
            { ...describeError(error) },
            'offset commit to Kafka failed; the checkpoint in Postgres is authoritative',
          ),
        );
    });
    return this.chain;
  }
}
