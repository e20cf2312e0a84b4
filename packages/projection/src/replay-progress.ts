import type { RebuildProgress } from './rebuild-projection.js';

/** Where a partition's replay starts and ends (the end offset taken at start). */
export interface ReplayPartition {
  partition: number;
  /** The partition's earliest offset still in the topic. */
  low: bigint;
  /** The stored checkpoint, or the low watermark when retention deleted past it. */
  from: bigint;
  end: bigint;
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * A rebuild's replay progress against the end offsets taken at its start: messages done, the
 * rate over the last ~5 s, the ETA, and whether every partition reached its end. Pure: the
 * clock is passed in.
 */
export class ReplayProgress {
  /** Messages between the start positions and the ends. */
  readonly total: number;
  private readonly position: Map<number, bigint>;
  private readonly samples: Array<{ at: number; done: number }> = [];
  private first: { at: number; done: number } | undefined;

  /** `partitions` in any order; `startedAt`: the replay's start on the same clock as `now`. */
  constructor(
    readonly partitions: readonly ReplayPartition[],
    private readonly startedAt: number,
  ) {
    this.position = new Map(partitions.map((p) => [p.partition, p.from]));
    this.total = partitions.reduce((n, p) => n + Number(max(0n, p.end - p.from)), 0);
  }

  /**
   * Builds the partitions from the topic's offsets and the stored checkpoints: each starts at
   * its checkpoint (0 when none), or at the low watermark when retention deleted past it.
   */
  static partitionsOf(
    offsets: ReadonlyArray<{ partition: number; low: string; high: string }>,
    checkpoints: ReadonlyMap<number, string>,
  ): ReplayPartition[] {
    return offsets
      .map((o) => ({
        partition: o.partition,
        low: BigInt(o.low),
        from: max(BigInt(checkpoints.get(o.partition) ?? 0), BigInt(o.low)),
        end: BigInt(o.high),
      }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** A batch of `partition` was applied up to `nextOffset` (positions never go back). */
  applied(partition: number, nextOffset: string, now: number): void {
    const next = BigInt(nextOffset);
    if (next > (this.position.get(partition) ?? 0n)) this.position.set(partition, next);
    this.first ??= { at: now, done: this.done() };
  }

  /** Messages applied up to the ends (what arrived after the start is not counted). */
  done(): number {
    return this.partitions.reduce(
      (n, p) => n + Number(max(0n, min(this.position.get(p.partition) ?? p.from, p.end) - p.from)),
      0,
    );
  }

  /** Every partition reached its end offset. */
  caughtUp(): boolean {
    return this.partitions.every((p) => (this.position.get(p.partition) ?? p.from) >= p.end);
  }

  /** The progress now, with the rate over the last ~5 s of samples. */
  sample(now: number): RebuildProgress {
    const current = this.done();
    this.samples.push({ at: now, done: current });
    while (this.samples.length > 2 && now - (this.samples[0]?.at ?? now) > 5000) {
      this.samples.shift();
    }
    const first = this.samples[0] ?? { at: now, done: current };
    const seconds = (now - first.at) / 1000;
    const perSecond = seconds > 0 ? (current - first.done) / seconds : 0;
    return {
      done: current,
      total: this.total,
      perSecond: Math.round(perSecond),
      etaSeconds: perSecond > 0 ? Math.ceil((this.total - current) / perSecond) : null,
      elapsedSeconds: (now - this.startedAt) / 1000,
    };
  }

  /**
   * Rates once caught up at `now`: seconds since the start, and messages per second after
   * the first batch (the group join left out).
   */
  rates(now: number): { seconds: number; replayPerSecond: number } {
    const seconds = (now - this.startedAt) / 1000;
    const replaySeconds = this.first ? (now - this.first.at) / 1000 : 0;
    const replayPerSecond =
      this.first && replaySeconds > 0
        ? Math.round((this.total - this.first.done) / replaySeconds)
        : Math.round(this.total / Math.max(seconds, 0.001));
    return { seconds, replayPerSecond };
  }
}
