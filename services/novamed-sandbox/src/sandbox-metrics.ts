import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Options of {@link SandboxMetrics}. */
export interface SandboxMetricsOptions {
  /** Read when scraped. */
  pendingDeliveries: () => number;
  webhooks: () => number;
  /** Also collect prom-client's process metrics. Default true. */
  processMetrics?: boolean;
}

/**
 * The sandbox's Prometheus metrics, in their own registry. Labels are bounded: event types are
 * the 12 documented ones, results are status codes, `timeout` or `network`.
 */
export class SandboxMetrics {
  readonly registry = new Registry();

  readonly eventsGenerated = new Counter({
    name: 'sandbox_events_generated_total',
    help: 'Events generated and sent to at least one webhook (duplicates not counted), by type',
    labelNames: ['event_type'] as const,
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'sandbox_deliveries_total',
    help: 'Deliveries finished, by outcome (delivered, failed, abandoned)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly attempts = new Counter({
    name: 'sandbox_delivery_attempts_total',
    help: 'Delivery attempts, by result (HTTP status, timeout or network)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly attemptDuration = new Histogram({
    name: 'sandbox_delivery_attempt_duration_seconds',
    help: 'Time from sending a webhook to its answer (or timeout)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor(options: SandboxMetricsOptions) {
    new Gauge({
      name: 'sandbox_deliveries_pending',
      help: 'Deliveries not finished yet (in flight, queued or waiting for a retry)',
      registers: [this.registry],
      collect() {
        this.set(options.pendingDeliveries());
      },
    });
    new Gauge({
      name: 'sandbox_webhooks',
      help: 'Registered webhooks',
      registers: [this.registry],
      collect() {
        this.set(options.webhooks());
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}
