import { describe, expect, it } from 'vitest';
import { type Delivery, DeliveryLog } from '../src/delivery-log.js';

let sequence = 0;
function delivery(overrides: Partial<Delivery> = {}): Delivery {
  sequence++;
  return {
    delivery_id: `d_${sequence}`,
    event_id: `evt_${sequence}`,
    event_type: 'order:created',
    clinic_id: 'clinic',
    webhook_id: 'hook',
    webhook_url: 'http://127.0.0.1/webhooks/novamed',
    duplicate: false,
    out_of_order: false,
    created_at: new Date(0).toISOString(),
    attempts: [],
    outcome: 'pending',
    next_attempt_at: null,
    completed_at: null,
    ...overrides,
  };
}

function attempt(log: DeliveryLog, d: Delivery, status: number | null, latency: number) {
  const a = {
    attempt: d.attempts.length + 1,
    started_at: new Date(0).toISOString(),
    latency_ms: latency,
    status,
    error: status === null ? ('timeout' as const) : null,
    error_code: null,
    retry_at: null,
  };
  d.attempts.push(a);
  log.attempted(d, a);
}

describe('DeliveryLog', () => {
  it('counts outcomes, attempts by result and latencies, in a summary line', () => {
    const log = new DeliveryLog();
    const first = delivery({ duplicate: true });
    const retried = delivery({ out_of_order: true });
    const failed = delivery();
    const pending = delivery();
    for (const d of [first, retried, failed, pending]) log.added(d);
    attempt(log, first, 200, 4);
    first.outcome = 'delivered';
    log.settled(first);
    attempt(log, retried, 503, 10);
    attempt(log, retried, 200, 6);
    retried.outcome = 'delivered';
    log.settled(retried);
    for (let i = 0; i < 5; i++) attempt(log, failed, null, 5000);
    failed.outcome = 'failed';
    log.settled(failed);
    const summary = log.summary();
    expect(summary).toMatchObject({
      deliveries: 4,
      pending: 1,
      delivered: 2,
      delivered_first_attempt: 1,
      delivered_after_retry: 1,
      failed: 1,
      abandoned: 0,
      duplicates: 1,
      out_of_order: 1,
      attempts: 8,
      attempts_by_result: { 200: 2, 503: 1, timeout: 5 },
      latency_ms: { p50: 5000, max: 5000 },
    });
    expect(summary.line).toBe(
      'deliveries 4: 2 delivered (1 first attempt, 1 retried), 1 pending, 1 failed, 0 abandoned; ' +
        'attempts 8 (200=2 503=1 timeout=5); latency ms p50 5000 p95 5000 p99 5000 max 5000; ' +
        'duplicates 1, out of order 1',
    );
  });

  it('answers queries newest first, and keeps a bounded number of finished deliveries', () => {
    const log = new DeliveryLog({ retain: 10 });
    const all: Delivery[] = [];
    for (let i = 0; i < 50; i++) {
      const d = delivery({ event_type: i % 2 === 0 ? 'order:created' : 'order:shipped' });
      all.push(d);
      log.added(d);
      attempt(log, d, 200, 1);
      d.outcome = i === 49 ? 'failed' : 'delivered';
      log.settled(d);
    }
    const pending = delivery();
    log.added(pending);
    const latest = log.query({ limit: 3 });
    expect(latest.map((d) => d.delivery_id)).toEqual(
      [pending, all[49], all[48]].map((d) => d!.delivery_id),
    );
    expect(log.query({ limit: 1000 }).length).toBeLessThanOrEqual(12);
    expect(log.query({ outcome: 'failed' }).map((d) => d.delivery_id)).toEqual([
      all[49]!.delivery_id,
    ]);
    expect(log.query({ event_id: all[45]!.event_id })).toHaveLength(1);
    expect(log.summary()).toMatchObject({ deliveries: 51, delivered: 49, failed: 1, pending: 1 });
  });
});
