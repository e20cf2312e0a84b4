import { Kafka, logLevel } from 'kafkajs';

/**
 * Times one measured run the same way for every variant: from the first batch any of the
 * run's consumers starts processing (so group join and the first fetch's wait are left out)
 * until every partition has been applied up to the topic's end. A run's consumers come from
 * {@link RunClock.kafka}, whose consumers report their first batch to the clock.
 */
export class RunClock {
  readonly kafka: Kafka;
  private firstBatchAt: number | undefined;
  private readonly createdAt = performance.now();
  private readonly remaining: Map<number, bigint>;
  private finishedAt: number | undefined;
  private resolveDone: (() => void) | undefined;
  private readonly done: Promise<void>;

  /**
   * `ends`: per partition, the offset after the last message (the high watermark).
   * `window`: told when the run starts and ends (e.g. a CPU sampler).
   */
  constructor(
    brokers: string[],
    clientId: string,
    ends: ReadonlyMap<number, string>,
    private readonly window?: { started(): void; finished(): void },
  ) {
    this.remaining = new Map(
      [...ends].filter(([, end]) => end !== '0').map(([p, end]) => [p, BigInt(end)]),
    );
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    if (this.remaining.size === 0) this.finish();
    const kafka = new Kafka({ clientId, brokers, logLevel: logLevel.ERROR });
    const createConsumer = kafka.consumer.bind(kafka);
    kafka.consumer = (config) => {
      const consumer = createConsumer(config);
      consumer.on(consumer.events.START_BATCH_PROCESS, () => {
        if (this.firstBatchAt !== undefined) return;
        this.firstBatchAt = performance.now();
        this.window?.started();
      });
      return consumer;
    };
    this.kafka = kafka;
  }

  /** Records that `partition` is applied up to (excluding) `nextOffset`. */
  reached(partition: number, nextOffset: string): void {
    const end = this.remaining.get(partition);
    if (end === undefined || BigInt(nextOffset) < end) return;
    this.remaining.delete(partition);
    if (this.remaining.size === 0) this.finish();
  }

  /** Resolves when every partition reached its end, or rejects after `timeoutMs`. */
  async untilDone(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `run not finished after ${timeoutMs} ms (partitions left: ${[...this.remaining.keys()].join(', ')})`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Measured seconds: first batch to last partition done (or to now). */
  seconds(): number {
    const end = this.finishedAt ?? performance.now();
    return (end - (this.firstBatchAt ?? end)) / 1000;
  }

  /** Seconds from the first clock's first batch to the last clock's end (runs in parallel). */
  static spanSeconds(clocks: readonly RunClock[]): number {
    const end = Math.max(...clocks.map((c) => c.finishedAt ?? performance.now()));
    const start = Math.min(...clocks.map((c) => c.firstBatchAt ?? end));
    return (end - start) / 1000;
  }

  /** Seconds from creating the consumers (join included) to done. */
  wallSeconds(): number {
    return ((this.finishedAt ?? performance.now()) - this.createdAt) / 1000;
  }

  /** Ends the measured run now (a run measured over a subset). */
  finish(): void {
    if (this.finishedAt !== undefined) return;
    this.finishedAt = performance.now();
    this.window?.finished();
    this.resolveDone?.();
  }
}
