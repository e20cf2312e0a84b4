import { randomBytes, randomInt } from 'node:crypto';
import {
  buildApp as buildIngress,
  createLogger as createIngressLogger,
  createKafkaClient,
  type IngressApp,
} from '@novamed-stream/ingress';
import { buildSandboxApp, type SandboxApp } from '@novamed-stream/novamed-sandbox';
import {
  type ProjectorDefinition,
  type ProjectorService,
  readProjectorServiceEnv,
  runProjectorService,
} from '@novamed-stream/projection';
import {
  medicationRequestsProjector,
  ordersProjector,
  refillsProjector,
} from '@novamed-stream/projectors';
import type { AggregateState } from '@novamed-stream/read-models';
import { createKafka } from '@novamed-stream/service-kit';
import { createTestDatabase, type TestDatabase, uniqueName } from '@novamed-stream/testkit';
import pg from 'pg';
import { buildApp, type ConsoleApp } from '../src/build-app.js';
import { createConsoleDb } from '../src/console-db.js';

/** Keys of this run: the console's, the ingress's webhook secret, the sandbox's partner key. */
export const CONSOLE_KEY = `console-${randomBytes(12).toString('hex')}`;
export const WEBHOOK_SECRET = `secret-${randomBytes(12).toString('hex')}`;
export const SANDBOX_KEY = `partner-${randomBytes(12).toString('hex')}`;

/** The whole system in-process (as services/novamed-sandbox's e2e test builds it) plus the console. */
export interface ConsoleSystem {
  ingressUrl: string;
  sandboxUrl: string;
  consoleUrl: string;
  console: ConsoleApp;
  database: TestDatabase;
  pool: pg.Pool;
  stop(): Promise<void>;
}

function urlOf(app: { server: { address(): unknown } }): string {
  const address = app.server.address() as { port: number };
  return `http://127.0.0.1:${String(address.port)}`;
}

/** Starts the ingress, the three projectors, the sandbox and the console on free ports. */
export async function startConsoleSystem(brokers: string[]): Promise<ConsoleSystem> {
  const database = await createTestDatabase('console');
  const topic = uniqueName('console_events');
  const logger = createIngressLogger({ level: 'warn' });
  const ingress: IngressApp = await buildIngress({
    apiKeys: [WEBHOOK_SECRET],
    kafka: createKafkaClient({ brokers, logger, requestTimeoutMs: 3000 }),
    topics: { events: topic, quarantine: uniqueName('console_quarantine'), partitions: 3 },
    logger,
    processMetrics: false,
  });
  await ingress.ingress.ensureTopics();
  await ingress.listen({ port: 0, host: '127.0.0.1' });
  const version = randomInt(1000, 1_000_000);
  const start = <S extends AggregateState>(definition: ProjectorDefinition<S>) =>
    runProjectorService(
      definition,
      readProjectorServiceEnv(
        {
          KAFKA_BROKERS: brokers.join(','),
          DATABASE_URL: database.url,
          EVENTS_TOPIC: topic,
          DEAD_LETTER_TOPIC: uniqueName('console_dead_letter'),
          HEALTH_HOST: '127.0.0.1',
          PROJECTION_VERSION: String(version),
          KAFKA_SESSION_TIMEOUT_MS: '10000',
          TOPIC_PARTITIONS: '3',
          LOG_LEVEL: 'warn',
        },
        { HEALTH_PORT: 0 },
      ),
    );
  // One at a time: they migrate the same database (the migrations create console_reader).
  const projectors: ProjectorService[] = [
    await start(ordersProjector),
    await start(medicationRequestsProjector),
    await start(refillsProjector),
  ];
  const sandbox: SandboxApp = await buildSandboxApp({
    apiKeys: [SANDBOX_KEY],
    webhookSecret: WEBHOOK_SECRET,
    timeScale: 0.001,
    logger: { level: 'warn' },
    processMetrics: false,
  });
  await sandbox.listen({ port: 0, host: '127.0.0.1' });

  const ingressUrl = urlOf(ingress);
  const db = createConsoleDb({ connectionString: database.url, role: 'console_reader' });
  const kafka = createKafka({ clientId: 'console-test', brokers });
  const app = await buildApp({
    apiKeys: [`old-${CONSOLE_KEY}`, CONSOLE_KEY],
    db,
    kafka,
    topic,
    metrics: [
      { name: 'ingress', url: `${ingressUrl}/metrics` },
      ...projectors.map((p, i) => ({
        name: ['orders', 'medication_requests', 'refills'][i] ?? '',
        url: new URL('/metrics', p.healthUrl).toString(),
      })),
    ],
    sampleIntervalMs: 700,
    logger: false,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  // Dropping the database terminates idle connections: not an error of the test.
  pool.on('error', () => {});
  return {
    ingressUrl,
    sandboxUrl: urlOf(sandbox),
    consoleUrl: urlOf(app),
    console: app,
    database,
    pool,
    async stop() {
      await app.close();
      await db.destroy();
      await sandbox.close();
      await ingress.close();
      await Promise.all(projectors.map((p) => p.stop()));
      await pool.end();
      await database.drop();
    },
  };
}
