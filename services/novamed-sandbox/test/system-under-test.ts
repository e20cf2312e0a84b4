import { randomBytes, randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  buildApp,
  createLogger as createIngressLogger,
  createKafkaClient,
  type IngressApp,
} from '@novamed-stream/ingress';
import {
  type ProjectorDefinition,
  type ProjectorService,
  readProjectorServiceEnv,
  runProjectorService,
  stateFromRow,
} from '@novamed-stream/projection';
import {
  medicationRequestsProjector,
  ordersProjector,
  refillsProjector,
} from '@novamed-stream/projectors';
import type { AggregateState } from '@novamed-stream/read-models';
import { createTestDatabase, type TestDatabase, uniqueName } from '@novamed-stream/testkit';
import pg from 'pg';
import { buildSandboxApp, type SandboxApp } from '../src/build-sandbox-app.js';
import type { GroundTruthSnapshot } from '../src/ground-truth.js';

/** The partner API key of the sandbox and the webhook secret the ingress accepts. */
export const API_KEY = `partner-${randomBytes(12).toString('hex')}`;
export const WEBHOOK_SECRET = `secret-${randomBytes(12).toString('hex')}`;

/** Options of {@link startSystem}. */
export interface SystemOptions {
  brokers: string[];
  /** The sandbox's retry time scale. */
  timeScale: number;
  /** The ingress's append deadline (503 after it). Default 3000. */
  appendDeadlineMs?: number;
  /** Log level of the ingress, the projectors and the sandbox. Default warn. */
  logLevel?: 'fatal' | 'error' | 'warn';
}

/** Everything in-process: the ingress, the three projectors and the sandbox, all listening. */
export interface System {
  ingress: IngressApp;
  sandbox: SandboxApp;
  ingressUrl: string;
  sandboxUrl: string;
  database: TestDatabase;
  pool: pg.Pool;
  stop(): Promise<void>;
}

function urlOf(app: { server: { address(): unknown } }): string {
  const address = app.server.address();
  if (address === null || typeof address !== 'object' || !('port' in address)) {
    throw new Error('not listening');
  }
  return `http://127.0.0.1:${String(address.port)}`;
}

/**
 * Starts the whole system against `brokers` and a fresh test database: the ingress (with its
 * own topics) on a free port, the three projector services on those topics (a random
 * projection version, so their consumer groups are this file's own), and the sandbox.
 */
export async function startSystem(options: SystemOptions): Promise<System> {
  const database = await createTestDatabase('sandbox');
  const eventsTopic = uniqueName('sandbox_events');
  const logLevel = options.logLevel ?? 'warn';
  const logger = createIngressLogger({ level: logLevel });
  const deadline = options.appendDeadlineMs ?? 3000;
  const ingress = await buildApp({
    apiKeys: [WEBHOOK_SECRET],
    kafka: createKafkaClient({ brokers: options.brokers, logger, requestTimeoutMs: deadline }),
    topics: { events: eventsTopic, quarantine: uniqueName('sandbox_quarantine'), partitions: 3 },
    limits: { appendDeadlineMs: deadline },
    logger,
    processMetrics: false,
    reconnectIntervalMs: 500,
  });
  await ingress.ingress.ensureTopics();
  await ingress.listen({ port: 0, host: '127.0.0.1' });

  const version = randomInt(1000, 1_000_000);
  const startProjector = <S extends AggregateState>(definition: ProjectorDefinition<S>) => {
    const config = readProjectorServiceEnv(
      {
        KAFKA_BROKERS: options.brokers.join(','),
        DATABASE_URL: database.url,
        EVENTS_TOPIC: eventsTopic,
        DEAD_LETTER_TOPIC: uniqueName('sandbox_dead_letter'),
        HEALTH_HOST: '127.0.0.1',
        PROJECTION_VERSION: String(version),
        KAFKA_SESSION_TIMEOUT_MS: '10000',
        TOPIC_PARTITIONS: '3',
        LOG_LEVEL: logLevel,
      },
      { HEALTH_PORT: 0 },
    );
    return runProjectorService(definition, config);
  };
  // One at a time: they migrate the same database.
  const projectors: ProjectorService[] = [
    await startProjector(ordersProjector),
    await startProjector(medicationRequestsProjector),
    await startProjector(refillsProjector),
  ];

  const sandbox = await buildSandboxApp({
    apiKeys: [API_KEY],
    webhookSecret: WEBHOOK_SECRET,
    timeScale: options.timeScale,
    logger: { level: logLevel },
    processMetrics: false,
  });
  await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  // An idle client whose connection the server ends (the database dropped at the end) must not
  // become an uncaught exception in the test process.
  pool.on('error', () => undefined);

  return {
    ingress,
    sandbox,
    ingressUrl: urlOf(ingress),
    sandboxUrl: urlOf(sandbox),
    database,
    pool,
    async stop() {
      await sandbox.close();
      await ingress.close();
      await Promise.all(projectors.map((p) => p.stop()));
      await pool.end();
      await database.drop();
    },
  };
}

/** A call to the sandbox's HTTP API with the partner API key, as a client would make it. */
export async function sandboxApi(
  system: System,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { 'x-api-key': API_KEY },
): Promise<{
  status: number;
  body: { success: boolean; data?: unknown; error?: { code: string } };
}> {
  const response = await fetch(`${system.sandboxUrl}${path}`, {
    method,
    headers: {
      ...headers,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as never };
}

/** State fields the analytics views leave out (projection bookkeeping). */
const HIDDEN = ['field_versions', 'attribute_versions'];

function visible(state: object): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...state };
  for (const key of HIDDEN) delete copy[key];
  return copy;
}

/**
 * What the read models hold, in the ground truth's shape (hidden bookkeeping left out): read
 * from `analytics_identified.*`, the tier with every field (each read is audited), since the
 * comparison covers patient ids, addresses and every attribute.
 */
export async function readModels(
  pool: pg.Pool,
): Promise<Record<keyof GroundTruthSnapshot, unknown[]>> {
  const read = async <S extends AggregateState>(
    view: string,
    id: string,
    definition: ProjectorDefinition<S>,
  ) => {
    const { rows } = await pool.query<Record<string, unknown>>(
      `select * from analytics_identified.${view} order by ${id} collate "C"`,
    );
    return rows.map((row) => visible(stateFromRow(definition, row)));
  };
  return {
    orders: await read('orders', 'order_id', ordersProjector),
    medication_requests: await read(
      'medication_requests',
      'medication_request_id',
      medicationRequestsProjector,
    ),
    refills: await read('refills', 'refill_id', refillsProjector),
  };
}

/** The ground truth in the same shape as {@link readModels}. */
export function expectedModels(
  truth: GroundTruthSnapshot,
): Record<keyof GroundTruthSnapshot, unknown[]> {
  return {
    orders: truth.orders.map(visible),
    medication_requests: truth.medication_requests.map(visible),
    refills: truth.refills.map(visible),
  };
}

/**
 * Polls the read models until they equal the ground truth, or `timeoutMs` passed; returns the
 * last read (the caller asserts equality, so a mismatch shows the diff).
 */
export async function waitForReadModels(
  system: System,
  timeoutMs = 90_000,
): Promise<{ actual: unknown; expected: unknown }> {
  const expected = expectedModels(system.sandbox.sandbox.truth.snapshot());
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actual = await readModels(system.pool);
    if (isDeepStrictEqual(actual, expected) || Date.now() > deadline) {
      return { actual, expected };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
