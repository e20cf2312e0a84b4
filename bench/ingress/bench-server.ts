import { guideSample, HEADERS, routingKey } from '@novamed-stream/events';
import {
  buildApp,
  createKafkaClient,
  createLogger,
  type IngressProducer,
  type ProducerBatch,
} from '@novamed-stream/ingress';
import Fastify from 'fastify';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { readBenchSettings } from '../read-bench-settings.js';
import { IngressBenchServerSettings } from './ingress-bench-settings.js';

/**
 * One benchmark target, run as its own process by run.ts so the load generator does not share
 * its event loop: `bare` (Fastify parses the body and answers 200: the physical floor),
 * `memory` (the real buildApp, with its producer replaced by an in-memory acknowledgement),
 * `naive` (one awaited kafkajs send per request) or `ingress` (buildApp on Kafka). Reports its
 * URL over IPC.
 */
type Variant = 'bare' | 'memory' | 'naive' | 'ingress';

const variant = process.argv[2] as Variant;
// Set by run.ts for this child process.
const settings = readBenchSettings(IngressBenchServerSettings, process.env);
const brokers = settings.BENCH_KAFKA_BROKERS;
const topic = settings.BENCH_TOPIC;
const quarantineTopic = settings.BENCH_QUARANTINE_TOPIC;
const apiKey = settings.BENCH_API_KEY;
const path = '/webhooks/novamed';
// Validates the fixture at start-up: every variant answers with the same body shape.
JSON.parse(guideSample('orderShipped').toString('utf8'));

/**
 * Answered requests, counted by an onResponse hook on each target, and records the in-memory
 * producer acknowledged (never reset: run.ts checks every 200 of `memory` was appended).
 */
const counter = { answered: 0, appended: 0 };
const countAnswer = (_request: unknown, _reply: unknown, done: () => void) => {
  counter.answered += 1;
  done();
};

async function bare() {
  const app = Fastify({ logger: false });
  app.addHook('onResponse', countAnswer);
  app.post(path, async (request) => {
    const body = request.body as { event_id: string };
    return { received: true, event_id: body.event_id };
  });
  return app;
}

async function naive() {
  const kafka = new Kafka({ clientId: 'bench-naive', brokers, logLevel: logLevel.WARN });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const app = Fastify({ logger: false });
  app.addHook('onResponse', countAnswer);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body);
  });
  app.post(path, async (request) => {
    const raw = request.body as Buffer;
    const envelope = JSON.parse(raw.toString('utf8'));
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key: routingKey(envelope),
          value: raw,
          headers: {
            [HEADERS.eventId]: envelope.event_id,
            [HEADERS.eventType]: envelope.event_type,
          },
        },
      ],
    });
    return { received: true, event_id: envelope.event_id };
  });
  app.addHook('onClose', async () => producer.disconnect());
  return app;
}

/**
 * Acknowledges every batch at once, in memory: the ingress's own producer port (buildApp's
 * `producer` option), so the app around it - key check, content-type, I-JSON, envelope,
 * micro-batching, logging, metrics - is the one production runs.
 */
class MemoryProducer implements IngressProducer {
  async connect() {
    return { ok: true };
  }
  async close() {}
  isReady() {
    return true;
  }
  async sendBatch(batch: ProducerBatch) {
    for (const group of batch.topicMessages) counter.appended += group.messages.length;
    return [];
  }
}

async function ingress(producer?: IngressProducer) {
  const logger = createLogger({ level: settings.LOG_LEVEL });
  const kafka =
    producer === undefined
      ? createKafkaClient({ brokers, logger, requestTimeoutMs: 3000 })
      : undefined;
  const app = await buildApp({
    apiKeys: [apiKey],
    ...(producer === undefined ? { kafka } : { producer }),
    topics: { events: topic, quarantine: quarantineTopic },
    logger,
    ...(settings.LINGER_MS === undefined ? {} : { limits: { lingerMs: settings.LINGER_MS } }),
  });
  app.addHook('onResponse', countAnswer);
  return app;
}

/** Set once listening; until then there is nothing to close. */
let running: { close(): Promise<unknown> } | undefined;
let closing = false;
/** Closes the server (bounded: a hung producer disconnect must not keep the process) and exits. */
function shutDown(): void {
  // SIGTERM from run.ts is followed by the channel closing when run.ts exits: close once.
  if (closing) return;
  closing = true;
  setTimeout(() => process.exit(0), 5000).unref();
  if (running === undefined) process.exit(0);
  void running.close().finally(() => process.exit(0));
}
process.on('SIGTERM', shutDown);
// Forked with an IPC channel by run.ts: the channel closes when the parent ends in any way
// (even SIGKILL), and a target left running would skew every later benchmark on the machine.
process.on('disconnect', shutDown);

const app =
  variant === 'bare'
    ? await bare()
    : variant === 'memory'
      ? await ingress(new MemoryProducer())
      : variant === 'naive'
        ? await naive()
        : await ingress();
// CPU time per answered request between a `reset` and a `report` message from run.ts.
let cpuStart = process.cpuUsage();
process.on('message', (message) => {
  if (message === 'reset') {
    counter.answered = 0;
    cpuStart = process.cpuUsage();
  } else if (message === 'report') {
    const cpu = process.cpuUsage(cpuStart);
    process.send?.({
      cpuMicros: cpu.user + cpu.system,
      answered: counter.answered,
      appended: counter.appended,
    });
  }
});
running = app;
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('no address');
const url = `http://127.0.0.1:${address.port}`;
if (process.send) process.send({ url });
else process.stderr.write(`LISTENING ${url}\n`);
