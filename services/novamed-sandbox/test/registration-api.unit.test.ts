import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxApp, type SandboxApp } from '../src/build-sandbox-app.js';

const API_KEY = 'partner-api-key-0123456789';
const CLINIC = '550e8400-e29b-41d4-a716-446655440000';
const URL_ = 'https://your-domain.com/webhooks/novamed';

let app: SandboxApp;

beforeAll(async () => {
  app = await buildSandboxApp({
    apiKeys: [API_KEY],
    webhookSecret: 'webhook-secret-0123456789',
    transport: async () => ({ kind: 'response', status: 200 }),
    maxWebhooksPerClinic: 3,
    logger: { level: 'silent' },
    processMetrics: false,
  });
});
afterAll(async () => {
  await app?.close();
});

const json = { 'content-type': 'application/json', accept: 'application/json' };

function call(
  method: 'POST' | 'DELETE',
  payload: unknown,
  headers: Record<string, string> = { ...json, 'x-api-key': API_KEY },
) {
  return app.inject({
    method,
    url: '/api/external/webhook',
    headers,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

function expectError(
  response: Awaited<ReturnType<typeof call>>,
  status: number,
  code: string,
  messagePart?: string,
) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/application\/json/);
  const body = response.json();
  expect(body).toMatchObject({ success: false, error: { code } });
  expect(body.message).toBe(body.error.message);
  if (messagePart) expect(body.message).toContain(messagePart);
}

describe('registration API (POST/DELETE /api/external/webhook, as in the guide)', () => {
  it("registers the guide's example and answers with the guide's shape", async () => {
    const response = await call('POST', { clinic_id: CLINIC, webhook_url: URL_ });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toEqual({
      success: true,
      data: {
        webhook_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        webhook_url: URL_,
        clinic_id: CLINIC,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      },
      message: 'Webhook registered successfully',
    });
    expect(app.sandbox.registry.forClinic(CLINIC)).toEqual([body.data]);

    const deleted = await call('DELETE', { clinic_id: CLINIC, webhook_id: body.data.webhook_id });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ success: true, message: 'Webhook deleted successfully' });
    expect(app.sandbox.registry.forClinic(CLINIC)).toEqual([]);
    // Deleting it again: not found.
    expectError(
      await call('DELETE', { clinic_id: CLINIC, webhook_id: body.data.webhook_id }),
      404,
      'WEBHOOK_NOT_FOUND',
    );
  });

  it('answers 401 without the partner API key, or with a wrong one, before reading the body', async () => {
    const body = { clinic_id: CLINIC, webhook_url: URL_ };
    expectError(await call('POST', body, json), 401, 'UNAUTHORIZED');
    expectError(await call('POST', body, { ...json, 'x-api-key': 'wrong' }), 401, 'UNAUTHORIZED');
    expectError(await call('DELETE', body, json), 401, 'UNAUTHORIZED');
    // Even garbage gets 401 first.
    expectError(await call('POST', '{not json', json), 401, 'UNAUTHORIZED');
    expect(app.sandbox.registry.size).toBe(0);
  });

  it.each([
    ['a missing clinic_id', { webhook_url: URL_ }, 'clinic_id is required'],
    ['a missing webhook_url', { clinic_id: CLINIC }, 'webhook_url is required'],
    ['a clinic_id that is not a UUID', { clinic_id: 'clinic-1', webhook_url: URL_ }, 'clinic_id'],
    ['a numeric clinic_id', { clinic_id: 42, webhook_url: URL_ }, 'clinic_id'],
    ['an empty webhook_url', { clinic_id: CLINIC, webhook_url: '' }, 'webhook_url'],
    ['a body that is an array', [{ clinic_id: CLINIC, webhook_url: URL_ }], 'body'],
  ])('answers 400 INVALID_REQUEST for %s', async (_name, body, detail) => {
    expectError(await call('POST', body), 400, 'INVALID_REQUEST', detail);
  });

  it.each([
    ['a relative URL', '/webhooks/novamed'],
    ['not a URL', 'your-domain.com webhooks'],
    ['an ftp URL', 'ftp://your-domain.com/webhooks'],
    ['a URL with credentials', 'https://user:pass@your-domain.com/webhooks'],
  ])('answers 400 INVALID_WEBHOOK_URL for %s', async (_name, webhookUrl) => {
    expectError(
      await call('POST', { clinic_id: CLINIC, webhook_url: webhookUrl }),
      400,
      'INVALID_WEBHOOK_URL',
    );
  });

  it('answers 400 INVALID_JSON, 415 for other media types, 413 for huge bodies', async () => {
    const headers = { ...json, 'x-api-key': API_KEY };
    expectError(await call('POST', '{"clinic_id": '), 400, 'INVALID_JSON');
    expectError(
      await call('POST', 'clinic_id=x', { 'content-type': 'text/plain', 'x-api-key': API_KEY }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await call('POST', 'clinic_id=x', {
        'content-type': 'application/x-www-form-urlencoded',
        'x-api-key': API_KEY,
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    const huge = JSON.stringify({
      clinic_id: CLINIC,
      webhook_url: `${URL_}?${'x'.repeat(20_000)}`,
    });
    expectError(await call('POST', huge, headers), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await call('DELETE', ''), 400, 'INVALID_JSON');
  });

  it('refuses the same URL twice for a clinic (409) and more than the limit per clinic', async () => {
    const first = await call('POST', { clinic_id: CLINIC, webhook_url: `${URL_}/1` });
    expect(first.statusCode).toBe(200);
    expectError(
      await call('POST', { clinic_id: CLINIC, webhook_url: `${URL_}/1` }),
      409,
      'WEBHOOK_ALREADY_REGISTERED',
      first.json().data.webhook_id,
    );
    expect((await call('POST', { clinic_id: CLINIC, webhook_url: `${URL_}/2` })).statusCode).toBe(
      200,
    );
    expect((await call('POST', { clinic_id: CLINIC, webhook_url: `${URL_}/3` })).statusCode).toBe(
      200,
    );
    expectError(
      await call('POST', { clinic_id: CLINIC, webhook_url: `${URL_}/4` }),
      409,
      'WEBHOOK_LIMIT_REACHED',
    );
    // The same URL for another clinic is another webhook.
    const other = '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b';
    expect((await call('POST', { clinic_id: other, webhook_url: `${URL_}/1` })).statusCode).toBe(
      200,
    );
  });

  it("answers 400 for a DELETE without a valid webhook_id, 404 for another clinic's webhook", async () => {
    expectError(await call('DELETE', { clinic_id: CLINIC }), 400, 'INVALID_REQUEST', 'webhook_id');
    expectError(
      await call('DELETE', { clinic_id: CLINIC, webhook_id: 'wh_1' }),
      400,
      'INVALID_REQUEST',
      'webhook_id',
    );
    const [hook] = app.sandbox.registry.forClinic(CLINIC);
    expectError(
      await call('DELETE', {
        clinic_id: '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b',
        webhook_id: hook!.webhook_id,
      }),
      404,
      'WEBHOOK_NOT_FOUND',
    );
  });

  it('requires HTTPS URLs when configured as NovaMed production does', async () => {
    const strict = await buildSandboxApp({
      apiKeys: [API_KEY],
      webhookSecret: 'webhook-secret-0123456789',
      requireHttps: true,
      logger: { level: 'silent' },
      processMetrics: false,
    });
    try {
      const response = await strict.inject({
        method: 'POST',
        url: '/api/external/webhook',
        headers: { ...json, 'x-api-key': API_KEY },
        payload: { clinic_id: CLINIC, webhook_url: 'http://your-domain.com/webhooks/novamed' },
      });
      expectError(response, 400, 'HTTPS_REQUIRED');
    } finally {
      await strict.close();
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/external/webhooks' });
    expectError(response, 404, 'NOT_FOUND');
  });
});
