import { randomInt, randomUUID } from 'node:crypto';
import {
  buildApp,
  createKafkaClient,
  createLogger,
  type IngressApp,
} from '@novamed-stream/ingress';
import {
  type ProjectorService,
  readProjectorServiceEnv,
  runProjectorService,
} from '@novamed-stream/projection';
import { ordersProjector } from '@novamed-stream/projectors';
import {
  createTestDatabase,
  type TestDatabase,
  testStack,
  uniqueName,
} from '@novamed-stream/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertingQueries } from './alerting-queries.js';
import { parseExposition } from './exposed-metrics.js';
import { promqlSelectors } from './promql-selectors.js';

// The guard against renames: every metric the alert rules and the Grafana dashboard query must
// be exposed by the real ingress or a real projector (here against the test run's real Kafka
// and Postgres), or the alert would silently never fire and the panel stay empty.

/** Series Prometheus makes itself for every target. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
const WEBHOOK_KEY = `metrics-key-${randomUUID()}`;

let ingress: IngressApp;
let projector: ProjectorService;
let database: TestDatabase;
let exposed: Map<string, Set<string>>;

async function projectorMetrics(): Promise<string> {
  const response = await fetch(`${projector.healthUrl}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

beforeAll(async () => {
  const brokers = testStack().kafkaBrokers;
  const eventsTopic = uniqueName('metrics_events');
  database = await createTestDatabase('metrics');
  const logger = createLogger({ level: 'warn' });
  ingress = await buildApp({
    apiKeys: [WEBHOOK_KEY],
    kafka: createKafkaClient({ brokers, logger, requestTimeoutMs: 5000 }),
    topics: { events: eventsTopic, quarantine: uniqueName('metrics_quarantine'), partitions: 1 },
    logger,
    // As the service runs it: prom-client's process metrics included.
    processMetrics: true,
  });
  await ingress.ingress.ensureTopics();
  await ingress.ready();
  projector = await runProjectorService(
    ordersProjector,
    readProjectorServiceEnv(
      {
        KAFKA_BROKERS: brokers.join(','),
        DATABASE_URL: database.url,
        EVENTS_TOPIC: eventsTopic,
        DEAD_LETTER_TOPIC: uniqueName('metrics_dead_letter'),
        HEALTH_HOST: '127.0.0.1',
        PROJECTION_VERSION: String(randomInt(1000, 1_000_000)),
        KAFKA_SESSION_TIMEOUT_MS: '10000',
        TOPIC_PARTITIONS: '1',
        LOG_LEVEL: 'warn',
      },
      { HEALTH_PORT: 0 },
    ),
  );

  // Traffic, so labelled series have samples: a webhook the projector applies, a 401, a 400.
  const post = (body: string, key = WEBHOOK_KEY) =>
    ingress.inject({
      method: 'POST',
      url: '/webhooks/novamed',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      payload: body,
    });
  const event = {
    event_type: 'order:created',
    event_id: `evt_${randomUUID()}`,
    timestamp: new Date().toISOString(),
    clinic_id: 'clinic_metrics',
    data: { order_id: `ord_${randomUUID()}` },
  };
  expect((await post(JSON.stringify(event))).statusCode).toBe(200);
  expect((await post(JSON.stringify(event), 'not-the-key')).statusCode).toBe(401);
  expect((await post('{"event_type":')).statusCode).toBe(400);
  // Wait until the projector applied it (its lag and batch series then have samples).
  const deadline = Date.now() + 60_000;
  while (!/^projector_events_applied_total\{[^}]*\} 1$/m.test(await projectorMetrics())) {
    if (Date.now() > deadline) throw new Error('the projector did not apply the event in 60 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const ingressText = (await ingress.inject({ method: 'GET', url: '/metrics' })).body;
  exposed = parseExposition(`${ingressText}\n${await projectorMetrics()}`);
});

afterAll(async () => {
  await ingress?.close();
  await projector?.stop();
  await database?.drop();
});

describe('metric names of the alert rules and the dashboard', () => {
  it('every metric they query is exposed by the ingress or a projector', async () => {
    const queries = await alertingQueries();
    expect(queries.length).toBeGreaterThan(30);
    const missing = queries.flatMap(({ source, expr }) =>
      promqlSelectors(expr)
        .filter((s) => !SYNTHETIC.has(s.metric) && !exposed.has(s.metric))
        .map((s) => `${s.metric} (${source})`),
    );
    expect(missing, 'metrics no service exposes').toEqual([]);
  });

  it('every label they match on is one the metric carries, where it has samples', async () => {
    const wrong = (await alertingQueries()).flatMap(({ source, expr }) =>
      promqlSelectors(expr).flatMap((s) => {
        const labels = exposed.get(s.metric);
        if (labels === undefined || labels.size === 0) return [];
        return s.labels.filter((l) => !labels.has(l)).map((l) => `${s.metric}{${l}} (${source})`);
      }),
    );
    expect(wrong, 'labels the metrics do not carry').toEqual([]);
  });

  it('the webhook route label the rules match is the one the ingress reports', async () => {
    const text = (await ingress.inject({ method: 'GET', url: '/metrics' })).body;
    const routes = new Set(
      [...text.matchAll(/^http_requests_total\{[^}]*route="([^"]*)"/gm)].map((m) => m[1]),
    );
    const used = new Set(
      (await alertingQueries()).flatMap(({ expr }) =>
        [...expr.matchAll(/route="([^"]*)"/g)].map((m) => m[1]),
      ),
    );
    expect(used.size).toBeGreaterThan(0);
    for (const route of used) expect(routes, `route="${route}"`).toContain(route);
  });
});
