import { randomUUID } from 'node:crypto';
import {
  EVENT_TYPES,
  guideSample,
  HEADERS,
  QUARANTINE_HEADERS,
  routingKey,
} from '@novamed-stream/events';
import { createTestTopic, readTopic, testStack, uniqueName } from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type IngressApp } from '../src/build-app.js';
import { createKafkaClient } from '../src/kafka-client.js';
import { createLogger } from '../src/logger.js';
import { captureLogs } from './log-capture.js';

const KEY = `int-key-${randomUUID()}`;
const logs = captureLogs();
const eventsTopic = uniqueName('ingress_events');
const quarantineTopic = uniqueName('ingress_quarantine');

let kafka: Kafka;
let app: IngressApp;
let baseUrl: string;

beforeAll(async () => {
  const logger = createLogger({ level: 'debug', destination: logs.destination });
  kafka = createKafkaClient({
    brokers: testStack().kafkaBrokers,
    logger,
    requestTimeoutMs: 3000,
  });
  app = await buildApp({
    apiKeys: [KEY],
    kafka,
    topics: { events: eventsTopic, quarantine: quarantineTopic, partitions: 6 },
    limits: { bodyLimitBytes: 16 * 1024 },
    logger,
    processMetrics: false,
  });
  const checks = await app.ingress.ensureTopics();
  expect(checks.map((check) => check.status)).toEqual(['CREATED', 'CREATED']);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  baseUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app?.close();
});

interface Answer {
  status: number;
  body: { received?: boolean; event_id?: string; error?: { code: string; message: string } };
  retryAfter: string | null;
}

async function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${baseUrl}/webhooks/novamed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers },
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as Answer['body'],
    retryAfter: response.headers.get('retry-after'),
  };
}

function envelope(overrides: Record<string, unknown> = {}, data: Record<string, unknown> = {}) {
  return {
    event_type: 'order:created',
    event_id: `evt_${randomUUID()}`,
    timestamp: new Date().toISOString(),
    clinic_id: 'clinic_int',
    ...overrides,
    data: { order_id: `ord_${randomUUID()}`, ...data },
  };
}

describe('topics', () => {
  it('created both topics with the configured partitions; a second check finds them OK', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [eventsTopic, quarantineTopic] });
      expect(metadata.topics.map((topic) => topic.partitions.length)).toEqual([6, 6]);
    } finally {
      await admin.disconnect();
    }
    await expect(app.ingress.ensureTopics()).resolves.toEqual([
      { topic: eventsTopic, status: 'OK' },
      { topic: quarantineTopic, status: 'OK' },
    ]);
  });

  it('reports (and logs as an error) an existing topic whose partition count differs', async () => {
    const narrow = await createTestTopic({ prefix: 'ingress_narrow', partitions: 2 });
    const other = await buildApp({
      apiKeys: [KEY],
      kafka,
      topics: { events: narrow, quarantine: quarantineTopic, partitions: 6 },
      logger: createLogger({ level: 'error', destination: logs.destination }),
      processMetrics: false,
    });
    try {
      const [check] = await other.ingress.ensureTopics();
      expect(check).toMatchObject({ status: 'MISMATCH', actual: { partitions: 2 } });
      expect(logs.text()).toContain(`${narrow} has 2 partitions`);
    } finally {
      await other.close();
    }
  });
});

describe('POST /webhooks/novamed against a real broker', () => {
  it("stores the guide's two samples byte for byte, with the routing key and headers", async () => {
    const samples = [guideSample('orderShipped'), guideSample('medicationRequestApproved')];
    const before = Date.now();
    const answers = await Promise.all(samples.map((sample) => post(sample)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(answers.map((answer) => answer.body)).toEqual([
      { received: true, event_id: 'evt_abc123xyz' },
      { received: true, event_id: 'evt_def456xyz' },
    ]);

    const stored = await readTopic(kafka, eventsTopic);
    for (const sample of samples) {
      const parsed = JSON.parse(sample.toString('utf8'));
      const record = stored.find((message) => message.headers[HEADERS.eventId] === parsed.event_id);
      expect(record, parsed.event_id).toBeDefined();
      if (!record) continue;
      expect(record.value.equals(sample)).toBe(true);
      expect(record.key).toBe(routingKey(parsed));
      expect(record.headers).toMatchObject({
        [HEADERS.eventType]: parsed.event_type,
        [HEADERS.eventId]: parsed.event_id,
        [HEADERS.clinicId]: parsed.clinic_id,
        [HEADERS.contentType]: 'application/json',
      });
      const receivedAt = Date.parse(record.headers[HEADERS.receivedAt] ?? '');
      expect(receivedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(receivedAt).toBeLessThanOrEqual(Date.now());
    }
    expect(stored.find((m) => m.headers[HEADERS.eventId] === 'evt_abc123xyz')?.key).toBe(
      'ord_12345',
    );
    expect(stored.find((m) => m.headers[HEADERS.eventId] === 'evt_def456xyz')?.key).toBe(
      'med_req_11111',
    );
  });

  it('answers every status with the shared error body; 4xx bodies never reach the events topic', async () => {
    const unknownType = envelope({ event_type: 'order:returned' });
    const invalidData = envelope({ event_type: 'order:shipped' }, { carrier: 42 });
    const answers = {
      ok: await post(JSON.stringify(envelope())),
      unknownType: await post(JSON.stringify(unknownType)),
      invalidData: await post(JSON.stringify(invalidData)),
      noKey: await post(JSON.stringify(envelope()), { 'x-api-key': '' }),
      wrongKey: await post(JSON.stringify(envelope()), { 'x-api-key': 'x' }),
      text: await post(JSON.stringify(envelope()), { 'content-type': 'text/plain' }),
      tooLarge: await post(JSON.stringify(envelope({ padding: 'x'.repeat(20_000) }))),
      badJson: await post('{"event_type": "order:created",'),
      poisoned: await post('{"__proto__": {"polluted": true}}'),
      badEnvelope: await post(JSON.stringify(envelope({ timestamp: 'not a time' }))),
    };
    const summary = Object.fromEntries(
      Object.entries(answers).map(([name, answer]) => [
        name,
        `${answer.status} ${answer.body.error?.code ?? ''}`.trim(),
      ]),
    );
    expect(summary).toEqual({
      ok: '200',
      unknownType: '200',
      invalidData: '200',
      noKey: '401 UNAUTHORIZED',
      wrongKey: '401 UNAUTHORIZED',
      text: '415 UNSUPPORTED_MEDIA_TYPE',
      tooLarge: '413 PAYLOAD_TOO_LARGE',
      badJson: '400 INVALID_JSON',
      poisoned: '400 FORBIDDEN_JSON_KEY',
      badEnvelope: '400 INVALID_ENVELOPE',
    });
    expect(answers.badEnvelope.body.error?.message).toContain('timestamp');

    const stored = await readTopic(kafka, eventsTopic);
    const storedIds = new Set(stored.map((message) => message.headers[HEADERS.eventId]));
    expect(storedIds.has(unknownType.event_id)).toBe(true);
    expect(storedIds.has(invalidData.event_id)).toBe(true);

    const quarantined = await readTopic(kafka, quarantineTopic);
    expect(quarantined.map((message) => message.headers[QUARANTINE_HEADERS.reason]).sort()).toEqual(
      ['FORBIDDEN_JSON_KEY', 'INVALID_ENVELOPE', 'INVALID_JSON'],
    );
    const badJson = quarantined.find(
      (m) => m.headers[QUARANTINE_HEADERS.reason] === 'INVALID_JSON',
    );
    expect(badJson?.value.toString()).toBe('{"event_type": "order:created",');
  });

  it('answers 503 within the deadline, and creates nothing, when the events topic is missing', async () => {
    const missing = uniqueName('ingress_missing');
    const other = await buildApp({
      apiKeys: [KEY],
      kafka,
      topics: { events: missing, quarantine: quarantineTopic },
      limits: { appendDeadlineMs: 2000 },
      logger: createLogger({ level: 'warn', destination: logs.destination }),
      processMetrics: false,
      retryAfterSeconds: 11,
    });
    try {
      await other.ready();
      const started = Date.now();
      const response = await other.inject({
        method: 'POST',
        url: '/webhooks/novamed',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY },
        payload: JSON.stringify(envelope()),
      });
      expect(Date.now() - started).toBeLessThan(2500);
      expect(response.statusCode).toBe(503);
      expect(['BROKER_UNAVAILABLE', 'APPEND_TIMEOUT']).toContain(response.json().error.code);
      expect(response.headers['retry-after']).toBe('11');
    } finally {
      await other.close();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).not.toContain(missing);
    } finally {
      await admin.disconnect();
    }
  });

  it('turns 1,000 concurrent requests into 1,000 acknowledged messages, in micro-batches', async () => {
    const metricsBefore = await batchCount();
    const events = Array.from({ length: 1000 }, (_, i) =>
      envelope({ event_type: EVENT_TYPES[i % 5] }),
    );
    // As NovaMed does: a non-200 (a 503 when a loaded machine misses the deadline) is retried.
    const deliver = async (body: string) => {
      let answer = await post(body);
      for (let attempt = 1; answer.status !== 200 && attempt < 5; attempt++) {
        expect(answer.status).toBe(503);
        await new Promise((r) => setTimeout(r, 200));
        answer = await post(body);
      }
      return answer;
    };
    const answers = await Promise.all(events.map((event) => deliver(JSON.stringify(event))));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1000);

    const wanted = new Set(events.map((event) => event.event_id));
    const stored = (await readTopic(kafka, eventsTopic)).filter((message) =>
      wanted.has(message.headers[HEADERS.eventId] ?? ''),
    );
    // Every acknowledged event is stored; a 503 whose append completed after its deadline may
    // add a copy (consumers dedup by event_id), so count distinct ids.
    expect(new Set(stored.map((message) => message.headers[HEADERS.eventId])).size).toBe(1000);
    expect(stored.length).toBeGreaterThanOrEqual(1000);
    // Coalesced: far fewer produce requests than events.
    const batches = (await batchCount()) - metricsBefore;
    expect(batches).toBeLessThan(500);
  });
});

describe("the topic's I-JSON profile against a real broker", () => {
  it('quarantines each kind of ambiguous body with its reason, and stores none of them', async () => {
    const probe = `probe_${randomUUID()}`;
    const body = (data: string, id = `"evt_${randomUUID()}"`) =>
      `{"event_type":"order:created","event_id":${id},"timestamp":"2025-01-15T10:30:00Z",` +
      `"clinic_id":"clinic_int","data":{"order_id":"ord_1","probe":"${probe}"${data}}}`;
    const cases: Array<[string, Buffer]> = [
      ['DUPLICATE_MEMBER', Buffer.from(body(',"order_id":"ord_2"'))],
      ['DUPLICATE_MEMBER', Buffer.from(`{"event_type":"refill:denied",${body('').slice(1)}`)],
      ['NESTING_TOO_DEEP', Buffer.from(body(`,"x":${'['.repeat(1000)}${']'.repeat(1000)}`))],
      ['LONE_SURROGATE', Buffer.from(body('', '"evt_\\ud800"'))],
      [
        'INVALID_UTF8',
        Buffer.concat([Buffer.from(body(',"note":"')), Buffer.from([0xff]), Buffer.from('"}}')]),
      ],
      ['NUMBER_OUT_OF_RANGE', Buffer.from(body(',"n":1e400'))],
      ['NUMBER_OUT_OF_RANGE', Buffer.from(body(',"n":9007199254740993'))],
      ['CONTROL_CHARACTER', Buffer.from(body('', '"evt\\u0001x"'))],
      [
        'IDENTIFIER_TOO_LONG',
        Buffer.from(body('').replace('"order_id":"ord_1"', `"order_id":"${'o'.repeat(300)}"`)),
      ],
    ];
    // The bodies above differ from a stored one only by the rule they break.
    const fine = body('');
    expect(JSON.parse(cases[0]![1].toString()).data.probe).toBe(probe);

    const answers = [];
    for (const [, bytes] of cases) answers.push(await post(bytes));
    expect(answers.map((answer) => `${answer.status} ${answer.body.error?.code}`)).toEqual(
      cases.map(([code]) => `400 ${code}`),
    );
    expect((await post(fine)).status).toBe(200);

    const quarantined = (await readTopic(kafka, quarantineTopic)).filter((message) =>
      message.value.includes(probe),
    );
    expect(quarantined.map((message) => message.headers[QUARANTINE_HEADERS.reason]).sort()).toEqual(
      cases.map(([code]) => code).sort(),
    );
    for (const [code, bytes] of cases) {
      const record = quarantined.find((message) => message.value.equals(bytes));
      expect(record?.headers[QUARANTINE_HEADERS.reason], code).toBe(code);
      expect(record?.headers[QUARANTINE_HEADERS.detail], code).toMatch(/^\((at|in) /);
    }

    const stored = (await readTopic(kafka, eventsTopic)).filter((message) =>
      message.value.includes(probe),
    );
    expect(stored.map((message) => message.value.toString())).toEqual([fine]);
  });
});

async function batchCount(): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('ingress_batch_size_count'));
  return Number(line?.split(' ')[1] ?? 0);
}

describe('logs', () => {
  it('contain none of the PHI canaries or the API key, from good and bad payloads alike', async () => {
    const tag = randomUUID().slice(0, 8);
    const canaries = {
      patientId: `pat_canary_${tag}`,
      patientName: `Zelda Canarypatient ${tag}`,
      street: `${tag} Canary Lane`,
      city: `Canaryville${tag}`,
      medication: `Canarycillin ${tag}`,
      email: `canary.${tag}@example.com`,
    };
    const phiData = {
      patient_id: canaries.patientId,
      patient_name: canaries.patientName,
      medication_name: canaries.medication,
      email: canaries.email,
      shipping_address: { line1: canaries.street, city: canaries.city, state: 'CA', zip: '94102' },
    };
    const good = JSON.stringify(envelope({}, phiData));
    const wrongKey = `wrong-key-canary-${tag}`;
    const answers = [
      await post(good),
      await post(JSON.stringify(envelope({ event_type: 'order:shipped' }, phiData))),
      await post(`{"data": ${JSON.stringify(phiData)}, "broken": `),
      await post(JSON.stringify({ ...envelope({}, phiData), timestamp: canaries.patientName })),
      await post(
        JSON.stringify({ __proto__: null, data: phiData }).replace('{', '{"__proto__":{},'),
      ),
      await post(JSON.stringify(envelope({ padding: canaries.street.repeat(2000) }, phiData))),
      await post(good, { 'content-type': 'text/plain' }),
      await post(good, { 'x-api-key': wrongKey }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([
      200, 200, 400, 400, 400, 413, 415, 401,
    ]);
    for (const answer of answers) {
      expect(JSON.stringify(answer.body)).not.toContain('anary');
    }

    const text = logs.text();
    // The sweep looks at real output: per-request lines and the rejections were logged.
    expect(text).toContain('"msg":"request completed"');
    expect(text).toContain('"msg":"webhook rejected"');
    for (const value of [...Object.values(canaries), KEY, wrongKey]) {
      expect(text, value).not.toContain(value);
    }
  });
});
