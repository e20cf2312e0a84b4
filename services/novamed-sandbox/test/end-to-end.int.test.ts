import { testStack } from '@novamed-stream/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationStatus } from '../src/generation-run.js';
import type { SandboxStatus } from '../src/sandbox.js';
import {
  API_KEY,
  type System,
  sandboxApi,
  startSystem,
  waitForReadModels,
} from './system-under-test.js';

const CLINICS = ['550e8400-e29b-41d4-a716-446655440000', '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b'];

let system: System;

beforeAll(async () => {
  system = await startSystem({ brokers: testStack().kafkaBrokers, timeScale: 0.001 });
});
afterAll(async () => {
  await system?.stop();
});

describe('the sandbox drives the real system end to end', () => {
  it('rejects bad registrations over HTTP with the right status', async () => {
    const webhook = { clinic_id: CLINICS[0], webhook_url: `${system.ingressUrl}/webhooks/novamed` };
    expect((await sandboxApi(system, 'POST', '/api/external/webhook', webhook, {})).status).toBe(
      401,
    );
    const cases: Array<[unknown, number, string]> = [
      [{ ...webhook, clinic_id: 'not-a-uuid' }, 400, 'INVALID_REQUEST'],
      [{ clinic_id: CLINICS[0] }, 400, 'INVALID_REQUEST'],
      [{ ...webhook, webhook_url: 'ftp://example.com/hook' }, 400, 'INVALID_WEBHOOK_URL'],
      ['{"clinic_id":', 400, 'INVALID_JSON'],
    ];
    for (const [body, status, code] of cases) {
      const answer = await sandboxApi(system, 'POST', '/api/external/webhook', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body).toMatchObject({ success: false, error: { code } });
    }
    const response = await fetch(`${system.sandboxUrl}/api/external/webhook`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'text/plain' },
      body: 'clinic_id=x',
    });
    expect(response.status).toBe(415);
    expect(system.sandbox.sandbox.registry.size).toBe(0);
  });

  it('a few hundred lifecycles with duplicates and out-of-order delivery: every read model equals the ground truth, no delivery failed', async () => {
    for (const clinicId of CLINICS) {
      const registered = await sandboxApi(system, 'POST', '/api/external/webhook', {
        clinic_id: clinicId,
        webhook_url: `${system.ingressUrl}/webhooks/novamed`,
      });
      expect(registered.status).toBe(200);
      expect(registered.body).toMatchObject({
        success: true,
        message: 'Webhook registered successfully',
      });
    }
    const started = await sandboxApi(system, 'POST', '/sandbox/generator/start', {
      rate: 1000,
      lifecycles: 300,
      seed: 20250115,
      faults: { duplicate_rate: 0.1, out_of_order_rate: 0.15, burst_rate: 0.01, burst_size: 40 },
    });
    expect(started.status).toBe(202);

    await system.sandbox.sandbox.whenIdle();
    const status = (await sandboxApi(system, 'GET', '/sandbox/status')).body.data as SandboxStatus;
    const generator = status.generator as GenerationStatus;
    expect(generator).toMatchObject({ state: 'finished', lifecycles_completed: 300 });
    expect(generator.events_generated).toBeGreaterThan(2000);
    expect(generator.duplicates).toBeGreaterThan(100);
    expect(generator.out_of_order).toBeGreaterThan(100);
    expect(status.deliveries).toMatchObject({ pending: 0, failed: 0, abandoned: 0 });
    expect(status.deliveries.delivered).toBe(generator.events_generated + generator.duplicates);
    expect(status.undeliverable_events).toBe(0);

    const { actual, expected } = await waitForReadModels(system);
    expect(actual).toEqual(expected);
    expect((expected as { orders: unknown[] }).orders.length).toBeGreaterThan(300);
    console.log(`[sandbox e2e] ${status.deliveries.line}`);
  });
});
