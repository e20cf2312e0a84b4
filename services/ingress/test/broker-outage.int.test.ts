import { randomUUID } from 'node:crypto';
import { HEADERS } from '@novamed-stream/events';
import { readTopic, startDedicatedBroker, uniqueName } from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, type IngressApp } from '../src/build-app.js';
import { createKafkaClient } from '../src/kafka-client.js';
import { createLogger } from '../src/logger.js';
import { captureLogs } from './log-capture.js';

const KEY = `outage-key-${randomUUID()}`;
const DEADLINE_MS = 3000;
const logs = captureLogs();
const eventsTopic = uniqueName('outage_events');

let broker: Awaited<ReturnType<typeof startDedicatedBroker>>;
let kafka: Kafka;
let app: IngressApp;
const acknowledged: string[] = [];

beforeAll(async () => {
  broker = await startDedicatedBroker();
  const logger = createLogger({ level: 'info', destination: logs.destination });
  kafka = createKafkaClient({ brokers: broker.brokers, logger, requestTimeoutMs: DEADLINE_MS });
  app = await buildApp({
    apiKeys: [KEY],
    kafka,
    topics: { events: eventsTopic, quarantine: uniqueName('outage_quarantine'), partitions: 3 },
    limits: { appendDeadlineMs: DEADLINE_MS },
    logger,
    processMetrics: false,
    reconnectIntervalMs: 500,
  });
  await app.ingress.ensureTopics();
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await broker?.stop();
});

async function send(): Promise<{ status: number; code?: string; retryAfter?: string; ms: number }> {
  const eventId = `evt_${randomUUID()}`;
  const started = Date.now();
  const response = await app.inject({
    method: 'POST',
    url: '/webhooks/novamed',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    payload: JSON.stringify({
      event_type: 'order:created',
      event_id: eventId,
      timestamp: new Date().toISOString(),
      clinic_id: 'clinic_outage',
      data: { order_id: `ord_${randomUUID()}` },
    }),
  });
  if (response.statusCode === 200) acknowledged.push(eventId);
  const retryAfter = response.headers['retry-after'];
  return {
    status: response.statusCode,
    ms: Date.now() - started,
    ...(response.statusCode === 200 ? {} : { code: response.json().error.code }),
    ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
  };
}

it('answers 503 (never 200) within the deadline while the broker is down, and 200 again after it restarts, without restarting the ingress', async () => {
  // Healthy.
  const healthy = await Promise.all(Array.from({ length: 20 }, send));
  expect(healthy.map((answer) => answer.status)).toEqual(Array(20).fill(200));

  // Broker stopped: every answer is a 503 with Retry-After, within the deadline.
  await broker.stop();
  const down: Awaited<ReturnType<typeof send>>[] = [];
  for (let round = 0; round < 3; round++) {
    down.push(...(await Promise.all(Array.from({ length: 10 }, send))));
  }
  expect(down.filter((answer) => answer.status === 200)).toEqual([]);
  for (const answer of down) {
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('5');
    expect(['BROKER_UNAVAILABLE', 'APPEND_TIMEOUT']).toContain(answer.code);
    expect(answer.ms).toBeLessThan(DEADLINE_MS + 500);
  }
  expect((await app.inject('/readyz')).statusCode).toBe(503);

  // Broker back on the same data and port: the same ingress recovers by itself.
  await broker.start();
  const recoveredWithin = Date.now() + 30_000;
  let last = await send();
  while (last.status !== 200 && Date.now() < recoveredWithin) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await send();
  }
  expect(last.status).toBe(200);
  const after = await Promise.all(Array.from({ length: 20 }, send));
  expect(after.map((answer) => answer.status)).toEqual(Array(20).fill(200));
  expect((await app.inject('/readyz')).statusCode).toBe(200);

  // Every acknowledged event is in the topic.
  const stored = new Set(
    (await readTopic(kafka, eventsTopic)).map((message) => message.headers[HEADERS.eventId]),
  );
  expect(acknowledged.length).toBeGreaterThanOrEqual(41);
  expect(acknowledged.filter((eventId) => !stored.has(eventId))).toEqual([]);
});

it('answers 503 within the deadline after a SIGKILL of the broker, and recovers', async () => {
  await broker.kill();
  const down = await Promise.all(Array.from({ length: 10 }, send));
  expect(down.filter((answer) => answer.status === 200)).toEqual([]);
  for (const answer of down) expect(answer.ms).toBeLessThan(DEADLINE_MS + 500);

  await broker.start();
  const recoveredWithin = Date.now() + 30_000;
  let last = await send();
  while (last.status !== 200 && Date.now() < recoveredWithin) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await send();
  }
  expect(last.status).toBe(200);

  const stored = new Set(
    (await readTopic(kafka, eventsTopic)).map((message) => message.headers[HEADERS.eventId]),
  );
  expect(acknowledged.filter((eventId) => !stored.has(eventId))).toEqual([]);
});
