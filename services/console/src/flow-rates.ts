import { type PrometheusSample, sumOf } from './prometheus-text.js';

/** One read of every `/metrics` endpoint: per source, its samples, or null when unreachable. */
export interface MetricsScrape {
  /** Epoch ms of the read. */
  at: number;
  sources: Record<string, readonly PrometheusSample[] | null>;
}

/** The counters the live flow turns into rates, read from one scrape. */
export interface FlowCounters {
  accepted: number;
  http4xx: number;
  http503: number;
  quarantined: number;
  /** Per projector: events applied, duplicates skipped, errors (dead-lettered). */
  projectors: Record<string, { applied: number; duplicates: number; errors: number }>;
}

/** Rates between two scrapes (per second) and current totals. */
export interface FlowRates {
  /** False when the ingress's /metrics could not be read (its numbers are then null). */
  ingressUp: boolean;
  acceptedPerSecond: number | null;
  http4xxPerSecond: number | null;
  http503PerSecond: number | null;
  quarantinedPerSecond: number | null;
  quarantinedTotal: number | null;
  projectors: Record<
    string,
    {
      up: boolean;
      appliedPerSecond: number | null;
      duplicatesPerSecond: number | null;
      errorsTotal: number | null;
    }
  >;
}

/** The counters of a scrape; sources that were unreachable are left out. */
export function flowCounters(scrape: MetricsScrape): Partial<FlowCounters> & {
  projectors: FlowCounters['projectors'];
} {
  const counters: Partial<FlowCounters> & { projectors: FlowCounters['projectors'] } = {
    projectors: {},
  };
  for (const [name, samples] of Object.entries(scrape.sources)) {
    if (samples === null) continue;
    if (name === 'ingress') {
      counters.accepted = sumOf(samples, 'ingress_events_total');
      counters.http4xx = sumOf(samples, 'http_requests_total', (l) =>
        (l['status'] ?? '').startsWith('4'),
      );
      counters.http503 = sumOf(samples, 'http_requests_total', (l) => l['status'] === '503');
      counters.quarantined = sumOf(samples, 'ingress_quarantined_total');
    } else {
      counters.projectors[name] = {
        applied: sumOf(samples, 'projector_events_applied_total'),
        duplicates: sumOf(samples, 'projector_duplicates_skipped_total'),
        errors: sumOf(samples, 'projector_errors_total'),
      };
    }
  }
  return counters;
}

/**
 * Per-second rate of a counter between two reads. A counter that went down was reset (the
 * process restarted): the current value is what accrued since, as Prometheus's `rate` counts it.
 */
export function counterRate(
  previous: number | undefined,
  current: number | undefined,
  seconds: number,
): number | null {
  if (current === undefined || previous === undefined || seconds <= 0) return null;
  const increase = current >= previous ? current - previous : current;
  return increase / seconds;
}

/** The live flow's rates from two consecutive scrapes (the first sample has no rates yet). */
export function flowRates(previous: MetricsScrape | undefined, current: MetricsScrape): FlowRates {
  const now = flowCounters(current);
  const before = previous
    ? flowCounters(previous)
    : { projectors: {} as FlowCounters['projectors'] };
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  const ingressUp = current.sources['ingress'] != null;
  const projectors: FlowRates['projectors'] = {};
  for (const name of Object.keys(current.sources)) {
    if (name === 'ingress') continue;
    const p = now.projectors[name];
    const q = before.projectors[name];
    projectors[name] = {
      up: p !== undefined,
      appliedPerSecond: counterRate(q?.applied, p?.applied, seconds),
      duplicatesPerSecond: counterRate(q?.duplicates, p?.duplicates, seconds),
      errorsTotal: p?.errors ?? null,
    };
  }
  return {
    ingressUp,
    acceptedPerSecond: counterRate(before.accepted, now.accepted, seconds),
    http4xxPerSecond: counterRate(before.http4xx, now.http4xx, seconds),
    http503PerSecond: counterRate(before.http503, now.http503, seconds),
    quarantinedPerSecond: counterRate(before.quarantined, now.quarantined, seconds),
    quarantinedTotal: now.quarantined ?? null,
    projectors,
  };
}
