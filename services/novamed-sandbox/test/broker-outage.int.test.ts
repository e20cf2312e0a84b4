import { startDedicatedBroker } from '@novamed-stream/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Delivery } from '../src/delivery-log.js';
import { RETRY_DELAYS_MS } from '../src/retry-schedule.js';
import { type System, sandboxApi, startSystem, waitForReadModels } from './system-under-test.js';

// Retry delays 1.2 s, 6 s, 18 s and 72 s: a 1 min outage is survived by the last attempts.
const TIME_SCALE = 0.02;
const CLINIC = '550e8400-e29b-41d4-a716-446655440000';

let broker: Awaited<ReturnType<typeof startDedicatedBroker>>;
let system: System;

beforeAll(async () => {
  broker = await startDedicatedBroker();
  system = await startSystem({
    brokers: broker.brokers,
    timeScale: TIME_SCALE,
    appendDeadlineMs: 1000,
    // The outage makes the ingress and the projectors log every failure: keep the output short.
    logLevel: 'fatal',
  });
});
afterAll(async () => {
  await system?.stop();
  await broker?.stop();
});

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('with the broker stopped mid-run, deliveries get 503 and are retried on the scaled schedule; after it returns the read models equal the ground truth', async () => {
  const { sandbox } = system.sandbox;
  const registered = await sandboxApi(system, 'POST', '/api/external/webhook', {
    clinic_id: CLINIC,
    webhook_url: `${system.ingressUrl}/webhooks/novamed`,
  });
  expect(registered.status).toBe(200);
  const started = await sandboxApi(system, 'POST', '/sandbox/generator/start', {
    rate: 40,
    lifecycles: 120,
    seed: 503,
    faults: { duplicate_rate: 0.1, out_of_order_rate: 0.1 },
  });
  expect(started.status).toBe(202);

  await until(() => sandbox.log.summary().delivered >= 100, 60_000, '100 deliveries');
  const down = Date.now();
  await broker.stop();
  // Deliveries now fail (503 from the ingress); let them fail and be retried.
  await until(
    () => (sandbox.log.summary().attempts_by_result['503'] ?? 0) >= 30,
    60_000,
    '30 answers 503',
  );
  await until(
    () =>
      sandbox.log
        .query({ outcome: 'pending', limit: 10_000 })
        .some((d) => d.attempts.length >= 2 && d.attempts.every((a) => a.status === 503)),
    60_000,
    'a retry answered 503',
  );
  await broker.start();
  const outageSeconds = ((Date.now() - down) / 1000).toFixed(1);

  await sandbox.whenIdle();
  const summary = sandbox.log.summary();
  console.log(`[sandbox broker outage] broker down ${outageSeconds} s; ${summary.line}`);
  expect(summary).toMatchObject({ pending: 0, failed: 0, abandoned: 0 });
  expect(summary.delivered_after_retry).toBeGreaterThan(10);
  expect(summary.attempts_by_result['200']).toBe(summary.delivered);

  // Every retry was scheduled exactly its scaled delay after the failed attempt ended, and
  // started then (or a little later, when all delivery slots were busy), never earlier.
  const retried: Delivery[] = sandbox.log
    .query({ limit: 100_000 })
    .filter((delivery) => delivery.attempts.length > 1);
  expect(retried.length).toBe(summary.delivered_after_retry);
  for (const delivery of retried) {
    const { attempts } = delivery;
    for (let i = 1; i < attempts.length; i++) {
      const failed = attempts[i - 1]!;
      expect(failed.status).not.toBe(200);
      const ended = Date.parse(failed.started_at) + failed.latency_ms;
      const due = Date.parse(failed.retry_at ?? '');
      expect(due - ended).toBe(RETRY_DELAYS_MS[i - 1]! * TIME_SCALE);
      expect(Date.parse(attempts[i]!.started_at)).toBeGreaterThanOrEqual(due - 2);
    }
    expect(attempts.at(-1)).toMatchObject({ status: 200, retry_at: null });
  }
  expect(retried.some((d) => d.attempts.some((a) => a.status === 503))).toBe(true);

  const { actual, expected } = await waitForReadModels(system, 120_000);
  expect(actual).toEqual(expected);
}, 400_000);
