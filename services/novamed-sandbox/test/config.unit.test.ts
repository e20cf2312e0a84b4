import { describe, expect, it } from 'vitest';
import { GUIDE_CLINIC_ID, loadConfig } from '../src/config.js';

const KEYS = {
  SANDBOX_API_KEY: 'partner-api-key-0123456789',
  SANDBOX_WEBHOOK_SECRET: 'webhook-secret-0123456789',
};

describe('loadConfig', () => {
  it('applies the defaults', () => {
    const result = loadConfig(KEYS);
    expect(result).toEqual({
      ok: true,
      config: {
        port: 8090,
        host: '0.0.0.0',
        apiKey: KEYS.SANDBOX_API_KEY,
        webhookSecret: KEYS.SANDBOX_WEBHOOK_SECRET,
        timeScale: 1,
        deliveryTimeoutMs: 5000,
        maxConcurrentDeliveries: 64,
        maxConcurrentDeliveriesPerWebhook: 32,
        deliveryLogSize: 10_000,
        maxWebhooksPerClinic: 10,
        requireHttps: false,
        summaryIntervalSeconds: 30,
        logLevel: 'info',
        register: undefined,
        stream: undefined,
      },
    });
  });

  it('reads the start-up registration and stream', () => {
    const result = loadConfig({
      ...KEYS,
      REGISTER_WEBHOOK_URL: 'http://127.0.0.1:8080/webhooks/novamed',
      STREAM_RATE: '2',
      STREAM_SEED: '42',
      STREAM_DUPLICATE_RATE: '0.05',
      TIME_SCALE: '0.01',
      REQUIRE_HTTPS: 'false',
    });
    expect(result.ok && result.config).toMatchObject({
      timeScale: 0.01,
      register: {
        webhookUrl: 'http://127.0.0.1:8080/webhooks/novamed',
        clinicIds: [GUIDE_CLINIC_ID],
      },
      stream: { rate: 2, seed: 42, duplicateRate: 0.05, outOfOrderRate: 0 },
    });
  });

  it('names every bad variable, never its value', () => {
    const result = loadConfig({
      SANDBOX_API_KEY: 'short-secret',
      PORT: 'eighty',
      TIME_SCALE: '0',
      REGISTER_CLINIC_IDS: 'clinic-1,clinic-2-that-is-long-enough-for-the-schema',
    });
    expect(result.ok).toBe(false);
    const text = result.ok ? '' : result.errors.join('\n');
    for (const name of [
      'SANDBOX_API_KEY must be',
      'SANDBOX_WEBHOOK_SECRET is required',
      'PORT',
      'TIME_SCALE',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).not.toContain('short-secret');
    expect(text).not.toContain('eighty');
  });

  it('refuses a stream without a webhook, a bad clinic list and an http URL under REQUIRE_HTTPS', () => {
    const errors = (env: Record<string, string>) => {
      const result = loadConfig({ ...KEYS, ...env });
      return result.ok ? [] : result.errors;
    };
    expect(errors({ STREAM_RATE: '1' })).toEqual([
      'STREAM_RATE needs REGISTER_WEBHOOK_URL (a run needs a webhook to deliver to)',
    ]);
    expect(
      errors({
        REGISTER_WEBHOOK_URL: 'http://127.0.0.1:8080/webhooks/novamed',
        REGISTER_CLINIC_IDS: `${GUIDE_CLINIC_ID},not-a-uuid-not-a-uuid-not-a-uuid-xxxx`,
      }),
    ).toEqual(['REGISTER_CLINIC_IDS is invalid (comma-separated clinic UUIDs)']);
    expect(
      errors({ REGISTER_WEBHOOK_URL: 'http://127.0.0.1:8080/x', REQUIRE_HTTPS: 'true' }),
    ).toEqual(['REGISTER_WEBHOOK_URL is invalid (REQUIRE_HTTPS is set: use https:)']);
  });
});
