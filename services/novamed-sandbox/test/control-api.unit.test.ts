import { decodeEvent } from '@novamed-stream/events';
import { plannedStage } from '@novamed-stream/oracle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxApp, type SandboxApp } from '../src/build-sandbox-app.js';
import type { AttemptResult, WebhookRequest } from '../src/delivery-engine.js';
import { GroundTruth } from '../src/ground-truth.js';
import { CLINIC_A, CLINIC_B } from './fixtures.js';

const API_KEY = 'partner-api-key-0123456789';
const SECRET = 'webhook-secret-0123456789';
const headers = { 'x-api-key': API_KEY };

/** What the fake receivers got: every request, in arrival order. */
const received: Array<{ url: string; body: string; key: string | undefined }> = [];
const logLines: string[] = [];
let failEvery = 0;
let app: SandboxApp;

async function transport(request: WebhookRequest): Promise<AttemptResult> {
  received.push({ url: request.url, body: request.body, key: request.headers['x-api-key'] });
  // Some 503s, so retries (and their log lines) happen too.
  if (failEvery > 0 && received.length % failEvery === 0) return { kind: 'response', status: 503 };
  return { kind: 'response', status: 200 };
}

beforeAll(async () => {
  app = await buildSandboxApp({
    apiKeys: [API_KEY],
    webhookSecret: SECRET,
    transport,
    timeScale: 0.0001,
    logger: { level: 'debug', destination: { write: (line: string) => logLines.push(line) } },
    processMetrics: false,
  });
});
afterAll(async () => {
  await app?.close();
});

async function register(clinicId: string, url: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/external/webhook',
    headers,
    payload: { clinic_id: clinicId, webhook_url: url },
  });
  expect(response.statusCode).toBe(200);
  return response.json().data.webhook_id;
}

function start(payload: unknown) {
  return app.inject({
    method: 'POST',
    url: '/sandbox/generator/start',
    headers,
    payload: payload as object,
  });
}

async function get(url: string) {
  const response = await app.inject({ method: 'GET', url, headers });
  expect(response.statusCode).toBe(200);
  return response.json().data;
}

describe('control API (/sandbox)', () => {
  it('needs the partner API key; /healthz and /metrics do not', async () => {
    expect((await app.inject({ method: 'GET', url: '/sandbox/status' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain(
      'sandbox_deliveries_pending',
    );
  });

  it('refuses to start without a webhook, and refuses bad settings naming the field', async () => {
    const none = await start({ rate: 10 });
    expect(none.statusCode).toBe(409);
    expect(none.json().error.code).toBe('NO_WEBHOOKS_REGISTERED');
    for (const [payload, field] of [
      [{ rate: 0 }, 'rate'],
      [{ rate: 5, lifecycle: 3 }, 'lifecycle'],
      [{ rate: 5, faults: { duplicate_rate: 2 } }, 'faults.duplicate_rate'],
      [{ rate: 5, faults: { dupes: 0.1 } }, 'dupes'],
      [{ rate: 5, seed: -1 }, 'seed'],
      [{ rate: 5, clinic_ids: ['x'] }, 'clinic_ids'],
      [{ rate: 5, start_at: '2025-01-15 10:00' }, 'start_at'],
    ] as const) {
      const response = await start(payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.code).toBe('INVALID_REQUEST');
      expect(response.json().error.message).toContain(field);
    }
  });

  it('delivers every event of a run to every webhook of its clinic; a receiver folding what it got reaches the ground truth', async () => {
    failEvery = 7;
    const hookA1 = await register(CLINIC_A, 'http://a1.example/webhooks/novamed');
    await register(CLINIC_A, 'http://a2.example/webhooks/novamed');
    await register(CLINIC_B, 'http://b.example/webhooks/novamed');
    const started = await start({
      rate: 5000,
      lifecycles: 40,
      seed: 7,
      start_at: '2025-01-15T09:00:00.000Z',
      faults: { duplicate_rate: 0.2, out_of_order_rate: 0.2 },
    });
    expect(started.statusCode).toBe(202);
    expect(started.json().data).toMatchObject({ state: 'running', seed: 7, lifecycles: 40 });
    await app.sandbox.whenIdle();

    const status = await get('/sandbox/status');
    expect(status.generator).toMatchObject({
      state: 'finished',
      stop_reason: 'lifecycles',
      lifecycles_completed: 40,
    });
    expect(status.deliveries).toMatchObject({ pending: 0, failed: 0, abandoned: 0 });
    expect(status.deliveries.delivered_after_retry).toBeGreaterThan(0);
    expect(status.deliveries.duplicates).toBeGreaterThan(0);
    expect(status.deliveries.out_of_order).toBeGreaterThan(0);
    expect(received.every((r) => r.key === SECRET)).toBe(true);

    const truth = await get('/sandbox/ground-truth');
    expect(truth.events).toBe(status.generator.events_generated);
    for (const url of ['http://a1.example', 'http://a2.example', 'http://b.example']) {
      const receiver = new GroundTruth();
      for (const request of received.filter((r) => r.url.startsWith(url))) {
        const decoded = decodeEvent(request.body);
        if (decoded.ok) receiver.record(plannedStage(decoded.event));
      }
      const clinic = url === 'http://b.example' ? CLINIC_B : CLINIC_A;
      expect(receiver.snapshot()).toEqual(app.sandbox.truth.snapshot(clinic));
      expect(await get(`/sandbox/ground-truth?clinic_id=${clinic}`)).toMatchObject(
        JSON.parse(JSON.stringify(receiver.snapshot())),
      );
    }

    const log = await get(`/sandbox/deliveries?webhook_id=${hookA1}&outcome=delivered&limit=5`);
    expect(log.deliveries).toHaveLength(5);
    for (const delivery of log.deliveries) {
      expect(delivery).toMatchObject({ webhook_id: hookA1, outcome: 'delivered' });
      expect(Object.keys(delivery)).not.toContain('body');
    }
    const one = log.deliveries[0];
    expect(
      (await get(`/sandbox/deliveries?event_id=${one.event_id}`)).deliveries.length,
    ).toBeGreaterThanOrEqual(2);
    const summary = await get('/sandbox/deliveries/summary');
    expect(summary.line).toMatch(/^deliveries \d+: \d+ delivered .* 0 failed/);
    failEvery = 0;
  });

  it('replays a run with the same seed and start_at', async () => {
    const bodies = async () => {
      received.length = 0;
      expect(
        (await start({ rate: 5000, count: 50, seed: 11, start_at: '2025-02-01T00:00:00Z' }))
          .statusCode,
      ).toBe(202);
      await app.sandbox.whenIdle();
      return received.map((r) => `${r.url} ${r.body}`).sort();
    };
    expect(await bodies()).toEqual(await bodies());
  });

  it('starts once at a time, stops on request, and resets only when idle', async () => {
    expect((await start({ rate: 1 })).statusCode).toBe(202);
    const again = await start({ rate: 1 });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('GENERATION_RUNNING');
    const busy = await app.inject({ method: 'POST', url: '/sandbox/reset', headers });
    expect(busy.statusCode).toBe(409);
    const stopped = await app.inject({ method: 'POST', url: '/sandbox/generator/stop', headers });
    expect(stopped.json().data).toMatchObject({ state: 'stopped', stop_reason: 'requested' });
    await app.sandbox.whenIdle();
    const reset = await app.inject({ method: 'POST', url: '/sandbox/reset', headers });
    expect(reset.statusCode).toBe(200);
    expect(await get('/sandbox/status')).toMatchObject({
      generator: null,
      deliveries: { deliveries: 0 },
      ground_truth: { events: 0, orders: 0 },
    });
  });

  it('never logs payloads: no patient id, medication or address in any log line', async () => {
    failEvery = 3;
    expect((await start({ rate: 5000, lifecycles: 20 })).statusCode).toBe(202);
    await app.sandbox.whenIdle();
    failEvery = 0;
    const truth = app.sandbox.truth.snapshot();
    const secrets = new Set<string>([API_KEY, SECRET]);
    for (const order of truth.orders) {
      if (typeof order['patient_id'] === 'string') secrets.add(order['patient_id']);
      const address = order['shipping_address'] as { line1: string } | null;
      if (address) secrets.add(address.line1);
    }
    for (const request of truth.medication_requests) {
      const medication = request['medication_name'];
      if (typeof medication === 'string') secrets.add(medication);
    }
    const text = logLines.join('');
    expect(logLines.some((line) => line.includes('delivery attempt failed'))).toBe(true);
    expect(logLines.some((line) => line.includes('generation ended'))).toBe(true);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
