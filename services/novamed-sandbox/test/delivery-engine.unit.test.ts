import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AttemptResult,
  DeliveryEngine,
  type DeliveryEngineOptions,
  type WebhookRequest,
} from '../src/delivery-engine.js';
import { DeliveryLog } from '../src/delivery-log.js';
import type { Emission } from '../src/fault-injector.js';
import type { Webhook } from '../src/webhook-registry.js';
import { CLINIC_A, generateAll } from './fixtures.js';

const SECRET = 'webhook-secret-0123456789';
const events = generateAll(3, 5);
const webhook: Webhook = {
  webhook_id: '660e8400-e29b-41d4-a716-446655440001',
  webhook_url: 'https://clinic.example/webhooks/novamed',
  clinic_id: CLINIC_A,
  created_at: '2025-01-15T10:00:00.000Z',
};
const emission = (index = 0): Emission => ({
  generated: events[index]!,
  duplicate: false,
  overtaken: false,
});

/** A transport answering from a script (the last answer repeats), recording each request. */
function scripted(...answers: Array<AttemptResult | 'hang'>) {
  const requests: Array<WebhookRequest & { at: number }> = [];
  const transport = (request: WebhookRequest): Promise<AttemptResult> => {
    requests.push({ ...request, at: Date.now() });
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)]!;
    if (answer === 'hang') return new Promise(() => {});
    return Promise.resolve(answer);
  };
  return { transport, requests };
}

const ok: AttemptResult = { kind: 'response', status: 200 };
const unavailable: AttemptResult = { kind: 'response', status: 503 };

function engine(
  options: Partial<DeliveryEngineOptions> & Pick<DeliveryEngineOptions, 'transport'>,
) {
  const log = new DeliveryLog();
  return { log, engine: new DeliveryEngine({ webhookSecret: SECRET, log, ...options }) };
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2025-01-15T10:00:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DeliveryEngine', () => {
  it('POSTs the envelope with the webhook secret in x-api-key; a 200 settles it', async () => {
    const { transport, requests } = scripted(ok);
    const { engine: e, log } = engine({ transport });
    const delivery = e.dispatch(emission(), webhook);
    await vi.advanceTimersByTimeAsync(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      url: webhook.webhook_url,
      body: events[0]!.body,
      headers: { 'content-type': 'application/json', 'x-api-key': SECRET },
    });
    expect(JSON.parse(requests[0]!.body)).toEqual(events[0]!.event);
    expect(delivery).toMatchObject({
      outcome: 'delivered',
      event_id: events[0]!.event.event_id,
      attempts: [{ attempt: 1, status: 200, error: null }],
    });
    expect(log.summary()).toMatchObject({ delivered: 1, pending: 0, delivered_first_attempt: 1 });
  });

  it('retries a non-200 after 1 min, 5 min, 15 min and 1 h, then marks it failed', async () => {
    const { transport, requests } = scripted(unavailable);
    const { engine: e, log } = engine({ transport });
    const delivery = e.dispatch(emission(), webhook);
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(0);
    expect(requests).toHaveLength(1);
    expect(delivery.next_attempt_at).toBe(new Date(start + 60_000).toISOString());
    await vi.advanceTimersByTimeAsync(59_999);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(300_000 + 900_000 + 3_600_000);
    expect(requests.map((r) => (r.at - start) / 1000)).toEqual([0, 60, 360, 1260, 4860]);
    expect(delivery.outcome).toBe('failed');
    expect(delivery.attempts.map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
    expect(
      delivery.attempts.map((a) => a.retry_at && (Date.parse(a.retry_at) - start) / 1000),
    ).toEqual([60, 360, 1260, 4860, null]);
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(requests).toHaveLength(5);
    expect(log.summary()).toMatchObject({ failed: 1, attempts: 5, attempts_by_result: { 503: 5 } });
  });

  it('scales the schedule with timeScale and stops retrying at the first 200', async () => {
    const { transport, requests } = scripted(unavailable, { kind: 'response', status: 500 }, ok);
    const { engine: e } = engine({ transport, timeScale: 0.001 });
    const delivery = e.dispatch(emission(), webhook);
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(requests.map((r) => r.at - start)).toEqual([0, 60, 360]);
    expect(delivery.outcome).toBe('delivered');
  });

  it('counts only 200 as success (a 201 or a 302 is retried)', async () => {
    const { transport, requests } = scripted(
      { kind: 'response', status: 201 },
      { kind: 'response', status: 302 },
      ok,
    );
    const { engine: e } = engine({ transport, timeScale: 0.001 });
    const delivery = e.dispatch(emission(), webhook);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(requests).toHaveLength(3);
    expect(delivery.attempts.map((a) => a.status)).toEqual([201, 302, 200]);
  });

  it('gives up on an attempt after 5 s (timeout) and retries it', async () => {
    const { transport, requests } = scripted('hang', ok);
    const { engine: e } = engine({ transport, timeScale: 0.001 });
    const delivery = e.dispatch(emission(), webhook);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(delivery.attempts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(delivery.attempts[0]).toMatchObject({
      status: null,
      error: 'timeout',
      latency_ms: 5000,
    });
    expect(requests[0]!.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(60);
    expect(delivery.outcome).toBe('delivered');
  });

  it('records network errors with their code', async () => {
    const { transport } = scripted({ kind: 'network', code: 'ECONNREFUSED' }, ok);
    const failing = async (request: WebhookRequest) => {
      const result = await transport(request);
      if (result.kind === 'network')
        throw Object.assign(new Error('fetch failed'), { cause: { code: result.code } });
      return result;
    };
    const { engine: e, log } = engine({ transport: failing, timeScale: 0.001 });
    const delivery = e.dispatch(emission(), webhook);
    await vi.advanceTimersByTimeAsync(100);
    expect(delivery.attempts[0]).toMatchObject({ error: 'network', error_code: 'ECONNREFUSED' });
    expect(delivery.outcome).toBe('delivered');
    expect(log.summary().attempts_by_result).toEqual({ 200: 1, network: 1 });
  });

  it('keeps at most maxConcurrency attempts in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const transport = async (): Promise<AttemptResult> => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight--;
      return ok;
    };
    const { engine: e, log } = engine({ transport, maxConcurrency: 3 });
    for (let i = 0; i < 20; i++) e.dispatch(emission(i % events.length), webhook);
    expect(e.backlog).toBe(20);
    const idle = e.whenIdle();
    await vi.advanceTimersByTimeAsync(1000);
    await idle;
    expect(peak).toBe(3);
    expect(log.summary()).toMatchObject({ delivered: 20, pending: 0 });
  });

  it('shares the slots between webhooks: a hanging endpoint does not hold up another', async () => {
    const dead: Webhook = { ...webhook, webhook_id: 'dead', webhook_url: 'https://dead.example/' };
    const requests: string[] = [];
    const transport = (request: WebhookRequest): Promise<AttemptResult> => {
      requests.push(request.url);
      return request.url === dead.webhook_url ? new Promise(() => {}) : Promise.resolve(ok);
    };
    const { engine: e } = engine({ transport, maxConcurrency: 4, maxConcurrencyPerWebhook: 2 });
    for (let i = 0; i < 10; i++) e.dispatch(emission(i % events.length), dead);
    const live = Array.from({ length: 10 }, (_, i) =>
      e.dispatch(emission(i % events.length), webhook),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(live.every((d) => d.outcome === 'delivered')).toBe(true);
    expect(requests.filter((url) => url === dead.webhook_url)).toHaveLength(2);
  });

  it('close() aborts the attempts in flight at once and records nothing for them', async () => {
    const { transport, requests } = scripted('hang');
    const { engine: e } = engine({ transport });
    const delivery = e.dispatch(emission(), webhook);
    await vi.advanceTimersByTimeAsync(10);
    await e.close();
    expect(requests[0]!.signal.aborted).toBe(true);
    expect(delivery).toMatchObject({ outcome: 'pending', attempts: [] });
    expect(() => e.dispatch(emission(), webhook)).toThrow(/closed/);
  });

  it('abandons the unfinished deliveries of a deleted webhook', async () => {
    const { transport, requests } = scripted(unavailable);
    const { engine: e, log } = engine({ transport });
    const delivery = e.dispatch(emission(), webhook);
    await vi.advanceTimersByTimeAsync(0);
    expect(e.abandonWebhook(webhook.webhook_id)).toBe(1);
    expect(delivery.outcome).toBe('abandoned');
    await vi.advanceTimersByTimeAsync(3_600_000 * 2);
    expect(requests).toHaveLength(1);
    expect(log.summary()).toMatchObject({ abandoned: 1, pending: 0 });
    await e.whenIdle();
  });
});
