import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, HEADERS } from '@novamed-stream/events';
import {
  appendAsIngress,
  createTestTopic,
  generateEventMix,
  readTopic,
  sendLikeNovaMed,
  type TopicMessage,
  testKafka,
  testStack,
  uniqueName,
} from '@novamed-stream/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, type IngressApp } from '../src/build-app.js';
import { createKafkaClient } from '../src/kafka-client.js';
import { createLogger } from '../src/logger.js';

// The test kit's "append as the ingress does" and "send like NovaMed" stand in for the ingress
// in consumer tests, benchmarks and the reliability suite: this holds them to the real thing.
const KEY = `int-key-${randomUUID()}`;
const PARTITIONS = 6;
const ingressTopic = uniqueName('kit_ingress_events');
let app: IngressApp;
let url: string;

beforeAll(async () => {
  const logger = createLogger({ level: 'warn' });
  app = await buildApp({
    apiKeys: [KEY],
    kafka: createKafkaClient({ brokers: testStack().kafkaBrokers, logger, requestTimeoutMs: 3000 }),
    topics: {
      events: ingressTopic,
      quarantine: uniqueName('kit_ingress_quarantine'),
      partitions: PARTITIONS,
    },
    logger,
    processMetrics: false,
  });
  await app.ingress.ensureTopics();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${address.port}/webhooks/novamed`;
});

afterAll(async () => {
  await app?.close();
});

/** A record without its receive time, which differs between the two paths by design. */
function comparable(message: TopicMessage) {
  const { [HEADERS.receivedAt]: receivedAt, ...headers } = message.headers;
  expect(Date.parse(receivedAt ?? '')).not.toBeNaN();
  return { partition: message.partition, key: message.key, value: message.value, headers };
}

it('appendAsIngress writes the key, headers, bytes and partition the ingress writes for the same bodies, for all 12 event types', async () => {
  const mix = generateEventMix({ runId: randomUUID().slice(0, 8), messages: 300 });
  const bodies = [
    ...new Map(mix.messages.map((m) => [m.headers[HEADERS.eventId], m.value.toString()])).values(),
  ];
  const types = new Set(mix.messages.map((m) => m.headers[HEADERS.eventType]));
  expect([...types].sort()).toEqual([...EVENT_TYPES].sort());

  const sent = await sendLikeNovaMed(
    bodies.map((body) => ({ body })),
    { url: () => url, apiKey: KEY, concurrency: 8, giveUpAfterMs: 60_000 },
  );
  expect(sent.report.acknowledged).toBe(bodies.length);

  const kitTopic = await createTestTopic({ prefix: 'kit_appended', partitions: PARTITIONS });
  const kafka = testKafka('append-as-ingress-test');
  await appendAsIngress(
    kafka,
    kitTopic,
    bodies.map((body) => ({ body })),
  );

  const byId = (messages: TopicMessage[]) =>
    new Map(messages.map((m) => [m.headers[HEADERS.eventId], comparable(m)]));
  const fromIngress = byId(await readTopic(kafka, ingressTopic));
  const fromKit = byId(await readTopic(kafka, kitTopic));
  expect(fromKit.size).toBe(bodies.length);
  expect(fromKit).toEqual(fromIngress);
});
