/** One HTTP attempt of a delivery. `status` null: no HTTP answer (`error` says why). */
export interface DeliveryAttempt {
  attempt: number;
  started_at: string;
  latency_ms: number;
  status: number | null;
  error: 'timeout' | 'network' | null;
  /** For network errors: the system error code (ECONNREFUSED, ...). */
  error_code: string | null;
  /**
   * When the next attempt is due (this attempt's end plus the scheduled delay); null after a
   * success or the last attempt. The next attempt starts then, or later when every delivery
   * slot is busy.
   */
  retry_at: string | null;
}

/** Where a delivery stands: `failed` after the last attempt failed, `abandoned` when its
 * webhook was deleted before it succeeded. */
export type DeliveryOutcome = 'pending' | 'delivered' | 'failed' | 'abandoned';

/** One event sent to one webhook, with every attempt. No payload: it is PHI. */
export interface Delivery {
  delivery_id: string;
  event_id: string;
  event_type: string;
  clinic_id: string;
  webhook_id: string;
  webhook_url: string;
  /** A redelivery (fault injection) of an event already delivered or on its way. */
  duplicate: boolean;
  /** Sent after a later event of its own aggregate (fault injection). */
  out_of_order: boolean;
  created_at: string;
  attempts: DeliveryAttempt[];
  outcome: DeliveryOutcome;
  next_attempt_at: string | null;
  completed_at: string | null;
}

/** Filters of {@link DeliveryLog.query}. */
export interface DeliveryQuery {
  outcome?: DeliveryOutcome;
  event_id?: string;
  clinic_id?: string;
  webhook_id?: string;
  /** Default 100. */
  limit?: number;
}

/** Latency percentiles over the most recent attempts, in ms. */
export interface LatencySummary {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Counts over every delivery since start (or the last reset). */
export interface DeliverySummary {
  deliveries: number;
  pending: number;
  delivered: number;
  delivered_first_attempt: number;
  delivered_after_retry: number;
  failed: number;
  abandoned: number;
  duplicates: number;
  out_of_order: number;
  attempts: number;
  /** Attempts by HTTP status (`"200"`, `"503"`) or `timeout` / `network`. */
  attempts_by_result: Record<string, number>;
  latency_ms: LatencySummary;
  /** The same in one line, for logs and terminals. */
  line: string;
}

/** Options of {@link DeliveryLog}. */
export interface DeliveryLogOptions {
  /** Finished deliveries kept for {@link DeliveryLog.query} (older ones only count). Default 10 000. */
  retain?: number;
  /** Attempt latencies kept for the percentiles. Default 10 000. */
  latencySamples?: number;
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? null;
}

/** The result label of an attempt: its status code, else `timeout` or `network`. */
export function attemptResult(attempt: DeliveryAttempt): string {
  return attempt.status === null ? (attempt.error ?? 'network') : String(attempt.status);
}

/**
 * Every delivery: the pending ones, the most recent finished ones, and counters over all of
 * them (attempts by status, latencies, outcomes). Memory is bounded by `retain`.
 */
export class DeliveryLog {
  readonly #retain: number;
  readonly #latencySamples: number;
  readonly #pending = new Map<string, Delivery>();
  #finished: Delivery[] = [];
  #latencies: number[] = [];
  #latencyNext = 0;
  #maxLatency: number | null = null;
  #counts = DeliveryLog.#zero();

  constructor(options: DeliveryLogOptions = {}) {
    this.#retain = options.retain ?? 10_000;
    this.#latencySamples = options.latencySamples ?? 10_000;
  }

  static #zero() {
    return {
      deliveries: 0,
      delivered: 0,
      deliveredFirstAttempt: 0,
      failed: 0,
      abandoned: 0,
      duplicates: 0,
      outOfOrder: 0,
      attempts: 0,
      byResult: new Map<string, number>(),
    };
  }

  /** Deliveries not finished yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** A new delivery (outcome `pending`). */
  added(delivery: Delivery): void {
    this.#pending.set(delivery.delivery_id, delivery);
    this.#counts.deliveries++;
    if (delivery.duplicate) this.#counts.duplicates++;
    if (delivery.out_of_order) this.#counts.outOfOrder++;
  }

  /** An attempt was made (already pushed to `delivery.attempts`). */
  attempted(_delivery: Delivery, attempt: DeliveryAttempt): void {
    const counts = this.#counts;
    counts.attempts++;
    const result = attemptResult(attempt);
    counts.byResult.set(result, (counts.byResult.get(result) ?? 0) + 1);
    if (this.#latencies.length < this.#latencySamples) this.#latencies.push(attempt.latency_ms);
    else this.#latencies[this.#latencyNext] = attempt.latency_ms;
    this.#latencyNext = (this.#latencyNext + 1) % this.#latencySamples;
    this.#maxLatency = Math.max(this.#maxLatency ?? 0, attempt.latency_ms);
  }

  /** The delivery finished (its outcome is no longer `pending`). */
  settled(delivery: Delivery): void {
    if (!this.#pending.delete(delivery.delivery_id)) return;
    const counts = this.#counts;
    switch (delivery.outcome) {
      case 'delivered':
        counts.delivered++;
        if (delivery.attempts.length === 1) counts.deliveredFirstAttempt++;
        break;
      case 'failed':
        counts.failed++;
        break;
      case 'abandoned':
        counts.abandoned++;
        break;
      case 'pending':
        throw new Error('settled() needs a finished delivery');
    }
    this.#finished.push(delivery);
    // Trim in chunks, so the array is not shifted on every delivery.
    if (this.#finished.length > this.#retain + Math.ceil(this.#retain / 10)) {
      this.#finished = this.#finished.slice(-this.#retain);
    }
  }

  /** Deliveries matching `query`, newest first (pending and the retained finished ones). */
  query(query: DeliveryQuery = {}): Delivery[] {
    const limit = query.limit ?? 100;
    const matches = (delivery: Delivery) =>
      (query.outcome === undefined || delivery.outcome === query.outcome) &&
      (query.event_id === undefined || delivery.event_id === query.event_id) &&
      (query.clinic_id === undefined || delivery.clinic_id === query.clinic_id) &&
      (query.webhook_id === undefined || delivery.webhook_id === query.webhook_id);
    const all = [...this.#pending.values(), ...this.#finished];
    all.sort((a, b) => sequence(b) - sequence(a));
    const out: Delivery[] = [];
    for (const delivery of all) {
      if (out.length >= limit) break;
      if (matches(delivery)) out.push(delivery);
    }
    return out;
  }

  /** Counters, percentiles and the one-line summary. */
  summary(): DeliverySummary {
    const counts = this.#counts;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const latency: LatencySummary = {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: this.#maxLatency,
    };
    const byResult = Object.fromEntries(
      [...counts.byResult.entries()].sort(([a], [b]) => a.localeCompare(b)),
    );
    const summary: Omit<DeliverySummary, 'line'> = {
      deliveries: counts.deliveries,
      pending: this.#pending.size,
      delivered: counts.delivered,
      delivered_first_attempt: counts.deliveredFirstAttempt,
      delivered_after_retry: counts.delivered - counts.deliveredFirstAttempt,
      failed: counts.failed,
      abandoned: counts.abandoned,
      duplicates: counts.duplicates,
      out_of_order: counts.outOfOrder,
      attempts: counts.attempts,
      attempts_by_result: byResult,
      latency_ms: latency,
    };
    return { ...summary, line: summaryLine(summary) };
  }

  /** Forgets finished deliveries and zeroes the counters (pending deliveries stay). */
  clear(): void {
    this.#finished = [];
    this.#latencies = [];
    this.#latencyNext = 0;
    this.#maxLatency = null;
    this.#counts = DeliveryLog.#zero();
    this.#counts.deliveries = this.#pending.size;
  }
}

/** Delivery ids are `d_<sequence>`; newer deliveries have larger sequences. */
function sequence(delivery: Delivery): number {
  return Number(delivery.delivery_id.slice(2));
}

/** E.g. `deliveries 120: 118 delivered (110 first attempt, 8 retried), 2 pending, ...`. */
export function summaryLine(summary: Omit<DeliverySummary, 'line'>): string {
  const results = Object.entries(summary.attempts_by_result)
    .map(([result, count]) => `${result}=${count}`)
    .join(' ');
  const ms = (value: number | null) => (value === null ? '-' : String(Math.round(value)));
  const { latency_ms: latency } = summary;
  return (
    `deliveries ${summary.deliveries}: ${summary.delivered} delivered ` +
    `(${summary.delivered_first_attempt} first attempt, ${summary.delivered_after_retry} retried), ` +
    `${summary.pending} pending, ${summary.failed} failed, ${summary.abandoned} abandoned; ` +
    `attempts ${summary.attempts}${results ? ` (${results})` : ''}; ` +
    `latency ms p50 ${ms(latency.p50)} p95 ${ms(latency.p95)} p99 ${ms(latency.p99)} max ${ms(latency.max)}; ` +
    `duplicates ${summary.duplicates}, out of order ${summary.out_of_order}`
  );
}
