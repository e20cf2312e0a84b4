import { Writable } from 'node:stream';
import { guideSample, HEADERS, QUARANTINE_HEADERS } from '@novamed-stream/events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type IngressApp } from '../src/build-app.js';
import { RecordingProducer } from './fake-producer.js';

const KEY = 'unit-test-key-0123456789';
const OLD_KEY = 'previous-key-9876543210';
const PATH = '/webhooks/novamed';
const EVENTS = 'unit.events';
const QUARANTINE = 'unit.quarantine';

let app: IngressApp;
let producer: RecordingProducer;
let logLines: string[];

beforeEach(async () => {
  producer = new RecordingProducer();
  logLines = [];
  app = await buildApp({
    apiKeys: [KEY, OLD_KEY],
    producer,
    topics: { events: EVENTS, quarantine: QUARANTINE },
    limits: { bodyLimitBytes: 4096, lingerMs: 0 },
    retryAfterSeconds: 9,
    processMetrics: false,
    logger: {
      level: 'debug',
      destination: new Writable({
        write(chunk, _encoding, callback) {
          logLines.push(String(chunk));
          callback();
        },
      }),
    },
  });
  await app.ready();
});

afterEach(async () => {
  await app.close();
});

function post(body: string | Buffer, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: PATH,
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers },
    payload: body,
  });
}

const validEnvelope = {
  event_type: 'order:created',
  event_id: 'evt_unit_1',
  timestamp: '2025-01-15T10:30:00.000Z',
  clinic_id: 'clinic_1',
  data: { order_id: 'ord_1' },
};

describe('POST /webhooks/novamed without a valid key', () => {
  it.each([
    ['no header', {}],
    ['a wrong key', { 'x-api-key': 'wrong-key-0000000000000' }],
    ['a key of another length', { 'x-api-key': 'x' }],
    ['an empty key', { 'x-api-key': '' }],
  ])('answers 401 for %s and writes nothing', async (_name, headers) => {
    const response = await app.inject({
      method: 'POST',
      url: PATH,
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(validEnvelope),
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'A valid x-api-key header is required.' },
    });
    expect(producer.batches).toEqual([]);
  });

  it('answers 401 before reading the body: a huge body with a wrong key is not a 413', async () => {
    const response = await post(Buffer.alloc(1024 * 1024, 0x20), { 'x-api-key': 'nope' });
    expect(response.statusCode).toBe(401);
  });

  it('accepts the previous key during a rotation', async () => {
    const response = await post(JSON.stringify(validEnvelope), { 'x-api-key': OLD_KEY });
    expect(response.statusCode).toBe(200);
  });
});

describe('POST /webhooks/novamed with a body it cannot take', () => {
  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'])(
    'answers 415 for %s and writes nothing',
    async (type) => {
      const response = await post(JSON.stringify(validEnvelope), { 'content-type': type });
      expect(response.statusCode).toBe(415);
      expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(producer.batches).toEqual([]);
    },
  );

  it('answers 413 over the body limit and writes nothing', async () => {
    const padding = 'x'.repeat(5000);
    const response = await post(JSON.stringify({ ...validEnvelope, padding }));
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(producer.batches).toEqual([]);
  });
});

describe('POST /webhooks/novamed with a body that is not a usable envelope', () => {
  const canary = 'Canary McPatient 4711';

  it.each([
    ['unparseable JSON', `{"patient_name": "${canary}", `, 'INVALID_JSON'],
    ['an empty body', '', 'INVALID_JSON'],
    ['a __proto__ key', `{"__proto__": {"x": 1}, "name": "${canary}"}`, 'FORBIDDEN_JSON_KEY'],
    ['a JSON array', '[1, 2]', 'INVALID_ENVELOPE'],
    [
      'a missing timestamp',
      JSON.stringify({ ...validEnvelope, timestamp: undefined }),
      'INVALID_ENVELOPE',
    ],
    [
      'a timestamp without zone',
      JSON.stringify({ ...validEnvelope, timestamp: '2025-01-15 10:30' }),
      'INVALID_ENVELOPE',
    ],
    [
      'data that is not an object',
      JSON.stringify({ ...validEnvelope, data: canary }),
      'INVALID_ENVELOPE',
    ],
    ['an empty event_id', JSON.stringify({ ...validEnvelope, event_id: '' }), 'INVALID_ENVELOPE'],
  ])('answers 400 for %s and quarantines the exact bytes', async (_name, body, code) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    const error = response.json().error;
    expect(error.code).toBe(code);
    expect(error.message).not.toContain(canary);
    expect(response.headers['retry-after']).toBeUndefined();

    expect(producer.messages(EVENTS)).toEqual([]);
    const [quarantined] = producer.messages(QUARANTINE);
    expect(quarantined?.value.equals(Buffer.from(body))).toBe(true);
    expect(quarantined?.headers[QUARANTINE_HEADERS.reason]).toBe(code);
    expect(quarantined?.headers[QUARANTINE_HEADERS.detail]).not.toContain(canary);
    expect(quarantined?.headers[QUARANTINE_HEADERS.receivedAt]).toMatch(/Z$/);
    expect(logLines.join('')).not.toContain(canary);
  });

  it('names the offending field', async () => {
    const response = await post(JSON.stringify({ ...validEnvelope, timestamp: 'yesterday' }));
    expect(response.json().error.message).toContain('timestamp must be an ISO 8601 date-time');
  });

  it('still answers 400 (and counts it) when the quarantine write fails', async () => {
    producer.failWith = new Error('broker gone');
    const response = await post('{nope');
    expect(response.statusCode).toBe(400);
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toContain('ingress_quarantine_failures_total{reason="INVALID_JSON"} 1');
  });
});

describe("POST /webhooks/novamed with a body outside the topic's I-JSON profile", () => {
  const canary = 'Canary McPatient 4711';
  const valid = JSON.stringify({ ...validEnvelope, data: { order_id: 'ord_1', note: canary } });
  const withData = (tail: string) => valid.replace(/}}$/, `,${tail}}}`);
  const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
  const utf8 = (before: string, bytes: number[], after: string) =>
    Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);

  it.each([
    [
      'a repeated event_type (Node keeps the last, others the first)',
      valid.replace('{', '{"event_type":"refill:denied",'),
      'DUPLICATE_MEMBER',
      '(at $.event_type, byte',
    ],
    [
      'a repeated name deep in data, written with an escape',
      withData(`"x":{"a":"${canary}","\\u0061":1}`),
      'DUPLICATE_MEMBER',
      '(at $.data.x.a, byte',
    ],
    [
      "1,000 nested arrays in data (past Jackson's limit)",
      withData(`"x":${deep(1_000)}`),
      'NESTING_TOO_DEEP',
      '(at $.data.x',
    ],
    [
      'a lone surrogate in event_id',
      valid.replace('"evt_unit_1"', '"evt_\\ud800"'),
      'LONE_SURROGATE',
      '(at $.event_id, byte',
    ],
    [
      'invalid UTF-8 in data',
      utf8(valid.slice(0, -3), [0xc3, 0x28], '"}}'),
      'INVALID_UTF8',
      '(at $.data.note, byte',
    ],
    [
      'a number that overflows a double',
      withData('"n":1e400'),
      'NUMBER_OUT_OF_RANGE',
      '(at $.data.n, byte',
    ],
    [
      'an integer beyond 2^53',
      withData('"n":12345678901234567890'),
      'NUMBER_OUT_OF_RANGE',
      '(at $.data.n, byte',
    ],
    [
      'a control character in event_id',
      valid.replace('"evt_unit_1"', '"evt\\u0000_1"'),
      'CONTROL_CHARACTER',
      '(in event_id)',
    ],
    [
      'a control character in the routing key',
      valid.replace('"ord_1"', '"ord\\n1"'),
      'CONTROL_CHARACTER',
      '(in data.order_id)',
    ],
    [
      'a routing key over 256 bytes (kafkajs blocks the event loop for seconds on a 256 KiB one)',
      valid.replace('"ord_1"', `"${'o'.repeat(300)}"`),
      'IDENTIFIER_TOO_LONG',
      '(in data.order_id)',
    ],
    [
      'a member name longer than 1,024 bytes',
      withData(`"${'k'.repeat(1025)}":1`),
      'MEMBER_NAME_TOO_LONG',
      '(at $.data.<member 3>, byte',
    ],
  ])('answers 400 for %s and quarantines it with the reason', async (_name, body, code, where) => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const response = await post(bytes);
    expect(response.statusCode).toBe(400);
    const error = response.json().error;
    expect(error.code).toBe(code);
    expect(error.message).toContain(where);
    expect(error.message).not.toContain(canary);

    expect(producer.messages(EVENTS)).toEqual([]);
    const [quarantined] = producer.messages(QUARANTINE);
    expect(quarantined?.value.equals(bytes)).toBe(true);
    expect(quarantined?.headers[QUARANTINE_HEADERS.reason]).toBe(code);
    expect(quarantined?.headers[QUARANTINE_HEADERS.detail]).toContain(where);
    expect(logLines.join('')).not.toContain(canary);
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toContain(`ingress_quarantined_total{reason="${code}"} 1`);
  });

  it('still stores a body with control characters outside the identifying fields', async () => {
    const response = await post(withData('"note2":"line 1\\nline 2\\u0000"'));
    expect(response.statusCode).toBe(200);
    expect(producer.messages(EVENTS)).toHaveLength(1);
  });
});

describe('POST /webhooks/novamed with a valid envelope (fake producer)', () => {
  it('appends the exact bytes with the routing key and headers, then answers 200', async () => {
    const body = guideSample('orderShipped');
    const response = await post(body);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: true, event_id: 'evt_abc123xyz' });
    const [record] = producer.messages(EVENTS);
    expect(record?.value.equals(body)).toBe(true);
    expect(record?.key).toBe('ord_12345');
    expect(record?.headers[HEADERS.eventType]).toBe('order:shipped');
    expect(producer.batches[0]?.acks).toBe(-1);
  });

  it('appends an unknown event type too, counted as "unknown"', async () => {
    const response = await post(JSON.stringify({ ...validEnvelope, event_type: 'order:returned' }));
    expect(response.statusCode).toBe(200);
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toContain('ingress_events_total{event_type="unknown"} 1');
  });

  it('answers 503 with Retry-After when the append fails', async () => {
    producer.failWith = Object.assign(new Error('x'), { type: 'NOT_ENOUGH_REPLICAS' });
    const response = await post(JSON.stringify(validEnvelope));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('9');
    expect(response.json().error.code).toBe('NOT_ENOUGH_REPLICAS');
  });

  it('answers 503 SHUTTING_DOWN once draining, and /readyz turns 503', async () => {
    app.ingress.startDraining();
    const response = await post(JSON.stringify(validEnvelope));
    expect(response.statusCode).toBe(503);
    expect(response.json().error.code).toBe('SHUTTING_DOWN');
    expect(producer.batches).toEqual([]);
    expect((await app.inject('/readyz')).statusCode).toBe(503);
  });
});

describe('operations routes', () => {
  it('/healthz is 200; /readyz follows the producer', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    producer.ready = false;
    const notReady = await app.inject('/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().error.code).toBe('NOT_READY');
  });

  it('answers unknown routes with the shared error body, under a bounded route label', async () => {
    const response = await app.inject('/no/such/path?patient=1');
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('NOT_FOUND');
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toContain('http_requests_total{route="unmatched",status="404"} 1');
  });

  it('/metrics exposes the ingress metrics', async () => {
    await post(JSON.stringify(validEnvelope));
    const body = (await app.inject('/metrics')).body;
    for (const name of [
      'http_requests_total{route="/webhooks/novamed",status="200"} 1',
      'ingress_append_duration_seconds_count{outcome="acknowledged"} 1',
      'ingress_batch_size_count 1',
      'ingress_events_total{event_type="order:created"} 1',
      'ingress_pending_appends 0',
    ]) {
      expect(body).toContain(name);
    }
  });

  it('/openapi.json documents the webhook, its key header, body and every answer; /docs serves', async () => {
    const document = (await app.inject('/openapi.json')).json();
    const operation = document.paths[PATH].post;
    expect(Object.keys(operation.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '413',
      '415',
      '503',
    ]);
    expect(operation.security).toEqual([{ apiKey: [] }]);
    expect(document.components.securitySchemes.apiKey).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
    });
    expect(operation.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['event_type', 'event_id', 'timestamp', 'clinic_id', 'data']),
    );
    // The I-JSON profile and its 400 codes are part of the documented contract.
    const body = operation.requestBody.content['application/json'].schema;
    for (const rule of ['I-JSON', 'DUPLICATE_MEMBER', 'NESTING_TOO_DEEP', 'CONTROL_CHARACTER']) {
      expect(body.description).toContain(rule);
      expect(operation.responses['400'].description).toContain(rule);
    }
    const controlCheck = new RegExp(body.properties.event_id.pattern);
    expect(controlCheck.test('evt_1')).toBe(true);
    expect(controlCheck.test('evt\u0001')).toBe(false);
    expect((await app.inject('/docs/')).statusCode).toBe(200);
  });
});
