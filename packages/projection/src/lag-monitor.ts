/** Health verdict of {@link LagMonitor}. */
export type LagHealth =
  | { healthy: true }
  | { healthy: false; reason: 'STALLED'; partitions: number[]; lag: number; stalledForMs: number };

interface PartitionLag {
  lag: bigint;
  /** When the lag last shrank, or was zero. */
  improvedAt: number;
}

/**
 * Decides whether a projector is stuck: unhealthy when some partition has lag and its lag has
 * not shrunk for `stallAfterMs`. Pure: fed observations and a clock, no I/O.
 */
export class LagMonitor {
  readonly #partitions = new Map<number, PartitionLag>();

  constructor(
    private readonly stallAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the lag of a partition after a batch (or a fetch that saw the high watermark). */
  observe(partition: number, lag: bigint): void {
    const at = this.now();
    const previous = this.#partitions.get(partition);
    // Lag that just appeared after being caught up starts its clock now: idling is not stalling.
    const improved =
      previous === undefined || lag === 0n || previous.lag === 0n || lag < previous.lag;
    this.#partitions.set(partition, { lag, improvedAt: improved ? at : previous.improvedAt });
  }

  /** Forgets partitions this instance no longer owns (after a rebalance). */
  retain(partitions: readonly number[]): void {
    for (const p of [...this.#partitions.keys()])
      if (!partitions.includes(p)) this.#partitions.delete(p);
  }

  health(): LagHealth {
    const at = this.now();
    const stalled: number[] = [];
    let lag = 0n;
    let stalledForMs = 0;
    for (const [partition, p] of this.#partitions) {
      if (p.lag > 0n && at - p.improvedAt >= this.stallAfterMs) {
        stalled.push(partition);
        lag += p.lag;
        stalledForMs = Math.max(stalledForMs, at - p.improvedAt);
      }
    }
    return stalled.length === 0
      ? { healthy: true }
      : {
          healthy: false,
          reason: 'STALLED',
          partitions: stalled.sort((a, b) => a - b),
          lag: Number(lag),
          stalledForMs,
        };
  }
}
