import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one projector process. */
export class ProjectorMetrics {
  readonly registry: Registry;
  readonly applied: Counter<'projector'>;
  readonly duplicates: Counter<'projector'>;
  readonly belowCheckpoint: Counter<'projector'>;
  readonly ignored: Counter<'projector'>;
  readonly unknown: Counter<'projector'>;
  readonly errors: Counter<'projector' | 'reason'>;
  readonly databaseRetries: Counter<'projector'>;
  /** Consumer crashes reported by kafkajs (each followed by a restart or a replacement). */
  readonly consumerCrashes: Counter<'projector'>;
  readonly batchSize: Histogram<'projector'>;
  readonly batchDuration: Histogram<'projector'>;
  readonly lagOffsets: Gauge<'projector' | 'partition'>;
  readonly lagSeconds: Gauge<'projector' | 'partition'>;
  /** 1 while a partition is paused because its batch failed (absent otherwise). */
  readonly partitionRetrying: Gauge<'projector' | 'partition'>;
  /** 1 for each partition the lag monitor calls stalled, read at scrape time. */
  readonly partitionStalled: Gauge<'projector' | 'partition'>;
  /** The projector's stalled partitions; set by the running projector. */
  stalledPartitions: () => readonly number[] = () => [];
  /** Projector name for {@link partitionStalled}'s label; set by the running projector. */
  projectorName = '';

  constructor(registry = new Registry()) {
    this.registry = registry;
    const labelNames = ['projector'] as const;
    const counter = <L extends string>(name: string, help: string, labels: readonly L[]) =>
      new Counter<L>({ name, help, labelNames: labels, registers: [registry] });
    this.applied = counter(
      'projector_events_applied_total',
      'Distinct events folded into read-model rows',
      labelNames,
    );
    this.duplicates = counter(
      'projector_duplicates_skipped_total',
      'Events skipped because their event_id was already applied',
      labelNames,
    );
    this.belowCheckpoint = counter(
      'projector_messages_below_checkpoint_total',
      'Messages skipped because the stored checkpoint is past them (redelivery after a crash or rebalance)',
      labelNames,
    );
    this.ignored = counter(
      'projector_messages_ignored_total',
      "Other aggregates' events",
      labelNames,
    );
    this.unknown = counter(
      'projector_unknown_event_types_total',
      'Events of an unknown type for this aggregate, counted and skipped',
      labelNames,
    );
    this.errors = counter(
      'projector_errors_total',
      'Messages sent to projection_errors and the dead-letter topic',
      ['projector', 'reason'] as const,
    );
    this.databaseRetries = counter(
      'projector_database_retries_total',
      'Batch transactions retried after a database error',
      labelNames,
    );
    this.consumerCrashes = counter(
      'projector_consumer_crashes_total',
      'Kafka consumer crashes (kafkajs restarts it, or the projector replaces it)',
      labelNames,
    );
    this.batchSize = new Histogram({
      name: 'projector_batch_size',
      help: 'Messages per applied batch',
      labelNames,
      buckets: [1, 5, 10, 50, 100, 500, 1000, 5000],
      registers: [registry],
    });
    this.batchDuration = new Histogram({
      name: 'projector_batch_duration_seconds',
      help: 'Time to apply one batch, transaction included',
      labelNames,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.lagOffsets = new Gauge({
      name: 'projector_lag_offsets',
      help: 'High watermark minus checkpoint, per partition',
      labelNames: ['projector', 'partition'],
      registers: [registry],
    });
    this.partitionRetrying = new Gauge({
      name: 'projector_partition_retrying',
      help: 'Partitions paused because their batch failed (1), retried after a backoff',
      labelNames: ['projector', 'partition'],
      registers: [registry],
    });
    const metrics = this;
    this.partitionStalled = new Gauge({
      name: 'projector_partition_stalled',
      help: 'Partitions whose lag has not shrunk for the stall window (1)',
      labelNames: ['projector', 'partition'],
      registers: [registry],
      collect() {
        this.reset();
        for (const partition of metrics.stalledPartitions()) {
          this.set({ projector: metrics.projectorName, partition: String(partition) }, 1);
        }
      },
    });
    this.lagSeconds = new Gauge({
      name: 'projector_lag_seconds',
      help: 'Now minus received-at of the newest applied event, per partition',
      labelNames: ['projector', 'partition'],
      registers: [registry],
    });
  }
}
