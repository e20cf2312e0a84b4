import { EVENT_TYPES, isEventType } from '@novamed-stream/events';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Options of {@link IngressMetrics}. */
export interface IngressMetricsOptions {
  /** Reads the number of pending appends when the gauge is scraped. */
  pendingAppends: () => number;
  /**
   * Reads whether the Kafka producer is connected (the ingress's view of the broker). Without
   * it the `ingress_kafka_producer_ready` gauge is not registered.
   */
  producerReady?: () => boolean;
  /** Also collect prom-client's process metrics (CPU, memory, event loop lag). Default true. */
  processMetrics?: boolean;
}

/**
 * The Prometheus metrics of one ingress instance, in their own registry (so several apps in one
 * process, as in tests, do not collide). Label values are bounded: `route` is the route pattern
 * (or `unmatched`), `event_type` one of the 12 documented types or `unknown`.
 */
export class IngressMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route pattern and status code',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });

  readonly appendDuration = new Histogram({
    name: 'ingress_append_duration_seconds',
    help: 'Time from queuing an event for Kafka to its outcome (linger + produce + ack)',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'ingress_batch_size',
    help: 'Records per produce request (micro-batch)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });

  readonly produceDuration = new Histogram({
    name: 'ingress_produce_duration_seconds',
    help: 'Duration of one produce request (micro-batch) until acknowledged or failed',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly events = new Counter({
    name: 'ingress_events_total',
    help: 'Events acknowledged by Kafka, by event type (unknown types as "unknown")',
    labelNames: ['event_type'] as const,
    registers: [this.registry],
  });

  readonly quarantined = new Counter({
    name: 'ingress_quarantined_total',
    help: 'Rejected (400) authenticated bodies written to the quarantine topic, by error code',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly quarantineFailures = new Counter({
    name: 'ingress_quarantine_failures_total',
    help: 'Rejected bodies that could not be written to the quarantine topic, by error code',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly appendFailures = new Counter({
    name: 'ingress_append_failures_total',
    help: 'Events answered with 503 because they were not acknowledged, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly pendingAppends: Gauge;

  /** 1 while the Kafka producer is connected, 0 while it is broken or reconnecting. */
  readonly producerReady: Gauge | undefined;

  constructor(options: IngressMetricsOptions) {
    const read = options.pendingAppends;
    this.pendingAppends = new Gauge({
      name: 'ingress_pending_appends',
      help: 'Events queued for Kafka or in flight',
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
    const ready = options.producerReady;
    // Read at scrape time, so an idle ingress still shows an unreachable broker: appends fail
    // only when traffic comes, readiness drops as soon as the producer is broken.
    this.producerReady =
      ready === undefined
        ? undefined
        : new Gauge({
            name: 'ingress_kafka_producer_ready',
            help: 'Whether the Kafka producer is connected (1) or broken and reconnecting (0)',
            registers: [this.registry],
            collect() {
              this.set(ready() ? 1 : 0);
            },
          });
    for (const type of [...EVENT_TYPES, 'unknown']) this.events.inc({ event_type: type }, 0);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The `event_type` label value for an event type: itself if documented, else `unknown`. */
  static eventTypeLabel(eventType: string): string {
    return isEventType(eventType) ? eventType : 'unknown';
  }
}
