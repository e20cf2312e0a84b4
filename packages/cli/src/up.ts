import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createDb, migrateToLatest } from '@novamed-stream/db';
import {
  assertPortFree,
  DevstackError,
  ensureTopic,
  findRepoRoot,
  type RunningStack,
  runLocalStack,
  ServiceProcess,
  type ServiceSpec,
  type StackExtension,
  stackClientEnv,
} from '@novamed-stream/devstack';
import { DEAD_LETTER_TOPIC, QUARANTINE_TOPIC } from '@novamed-stream/events';
import { EnvType, readEnv } from '@novamed-stream/service-kit';
import { Type } from '@sinclair/typebox';

/** Settings of `up`, from the environment (see README.md). */
export interface UpOptions {
  ingressPort: number;
  projectorPorts: { orders: number; medication_requests: number; refills: number };
  /** Accepted webhook keys; a random one when WEBHOOK_API_KEYS is unset. */
  webhookKeys: string[];
  topicPartitions: number;
  logDir: string;
  /** The NovaMed sandbox's port, its partner API key, and the demo stream's events/s (0: none). */
  sandboxPort: number;
  sandboxApiKey: string;
  streamRate: number;
  /** The console's port and its accepted keys (a random one when CONSOLE_API_KEYS is unset). */
  consolePort: number;
  consoleKeys: string[];
}

const PROJECTORS = [
  { name: 'projector-orders', key: 'orders', env: 'ORDERS_HEALTH_PORT' },
  {
    name: 'projector-medication-requests',
    key: 'medication_requests',
    env: 'MEDICATION_REQUESTS_HEALTH_PORT',
  },
  { name: 'projector-refills', key: 'refills', env: 'REFILLS_HEALTH_PORT' },
] as const;

type ProjectorKey = (typeof PROJECTORS)[number]['key'];

/** `up`'s own variables (the local stack's are read by devstack). */
const UpEnv = Type.Object({
  INGRESS_PORT: EnvType.port({ default: 8080 }),
  ORDERS_HEALTH_PORT: EnvType.port({ default: 9101 }),
  MEDICATION_REQUESTS_HEALTH_PORT: EnvType.port({ default: 9102 }),
  REFILLS_HEALTH_PORT: EnvType.port({ default: 9103 }),
  SANDBOX_PORT: EnvType.port({ default: 8090 }),
  CONSOLE_PORT: EnvType.port({ default: 8070 }),
  CONSOLE_API_KEYS: Type.Optional(EnvType.list()),
  WEBHOOK_API_KEYS: Type.Optional(EnvType.list()),
  TOPIC_PARTITIONS: EnvType.integer(1, 1_000, { default: 6 }),
  SANDBOX_API_KEY: Type.Optional(EnvType.string()),
  SANDBOX_STREAM_RATE: EnvType.number(0, 10_000, {
    default: 1,
    expected: 'a number of events/s from 0 to 10000 (0 turns the demo stream off)',
  }),
});

/** Reads `up`'s variables; bad values are named (never echoed) in one error. */
export function readUpOptions(env: NodeJS.ProcessEnv, dataDir: string): UpOptions {
  const read = readEnv(UpEnv, env);
  if (!read.ok) {
    throw new DevstackError(`Invalid environment:\n  ${read.errors.join('\n  ')}`, {
      hint: 'Fix or unset the variables above (unset means the default).',
    });
  }
  const values = read.env;
  return {
    ingressPort: values.INGRESS_PORT,
    projectorPorts: {
      orders: values.ORDERS_HEALTH_PORT,
      medication_requests: values.MEDICATION_REQUESTS_HEALTH_PORT,
      refills: values.REFILLS_HEALTH_PORT,
    },
    webhookKeys: values.WEBHOOK_API_KEYS ?? [`dev_${randomBytes(24).toString('hex')}`],
    topicPartitions: values.TOPIC_PARTITIONS,
    logDir: join(dataDir, 'logs'),
    sandboxPort: values.SANDBOX_PORT,
    sandboxApiKey: values.SANDBOX_API_KEY ?? `sandbox_${randomBytes(24).toString('hex')}`,
    streamRate: values.SANDBOX_STREAM_RATE,
    consolePort: values.CONSOLE_PORT,
    consoleKeys: values.CONSOLE_API_KEYS ?? [`console_${randomBytes(24).toString('hex')}`],
  };
}

/**
 * The whole system on top of the local stack: migrations, topics, the ingress and the three
 * projectors as child processes (logs in files), each waited for until healthy.
 */
export function systemExtension(options: UpOptions): StackExtension {
  return {
    name: 'migrations, topics, the ingress and the three projectors',
    async start(stack: RunningStack) {
      const root = findRepoRoot();
      await assertServicePortsFree(options);
      await migrate(stack.databaseUrl);
      for (const topic of [QUARANTINE_TOPIC, DEAD_LETTER_TOPIC]) {
        await ensureTopic({
          brokers: stack.kafkaBrokers,
          topic,
          partitions: options.topicPartitions,
          ...stack.topicReplication,
          connection: stack.kafkaConnection,
        });
      }
      const services = serviceSpecs(options, stack).map((spec) => new ServiceProcess(spec, root));
      // The sandbox starts last, so the ingress is ready for its first delivery.
      const sandbox = new ServiceProcess(sandboxSpec(options), root);
      try {
        await Promise.all(services.map((s) => s.start()));
        await sandbox.start();
      } catch (error) {
        await Promise.all([sandbox, ...services].map((s) => s.stop(5000)));
        throw error;
      }
      const all = [sandbox, ...services];
      return {
        rows: summaryRows(options),
        stackFields: {
          ...stackFields(options),
          serviceLogs: Object.fromEntries(all.map((s) => [s.spec.name, s.spec.logFile])),
        },
        pids: Object.fromEntries(all.map((s) => [s.spec.name, s.pid ?? 0])),
        notes: notes(options, stack),
        dead: () => all.find((s) => !s.running)?.spec.name,
        kill: async () => {
          await Promise.all(all.map((s) => s.kill()));
        },
        stop: async () => {
          // Sandbox first (stop sending), then the ingress (it drains in-flight webhooks into
          // Kafka), then the projectors.
          await sandbox.stop();
          await services[0]?.stop();
          await Promise.all(services.slice(1).map((s) => s.stop()));
        },
      };
    },
  };
}

/** Fails early, naming the variable, when a port a service needs is taken. */
async function assertServicePortsFree(options: UpOptions): Promise<void> {
  await assertPortFree(options.ingressPort, 'the ingress', 'INGRESS_PORT');
  await assertPortFree(options.sandboxPort, 'the NovaMed sandbox', 'SANDBOX_PORT');
  await assertPortFree(options.consolePort, 'the console', 'CONSOLE_PORT');
  for (const p of PROJECTORS) await assertPortFree(options.projectorPorts[p.key], p.name, p.env);
}

/** Runs the migrations to the latest version. */
async function migrate(databaseUrl: string): Promise<void> {
  const db = createDb({ connectionString: databaseUrl, maxConnections: 1 });
  try {
    const migrated = await migrateToLatest(db);
    if (!migrated.ok) {
      throw new DevstackError(`Migration ${migrated.failed} failed: ${migrated.error.message}`, {
        hint: 'Check DATABASE_URL points at a database this user may change.',
      });
    }
  } finally {
    await db.destroy();
  }
}

/** The URLs `up` serves on 127.0.0.1. */
function urlsOf(options: UpOptions) {
  return {
    ingressUrl: `http://127.0.0.1:${options.ingressPort}`,
    consoleUrl: `http://127.0.0.1:${options.consolePort}`,
    sandboxUrl: `http://127.0.0.1:${options.sandboxPort}`,
    projectorUrl: (key: ProjectorKey) => `http://127.0.0.1:${options.projectorPorts[key]}`,
  };
}

/** The ingress, the three projectors and the console (the sandbox is {@link sandboxSpec}). */
function serviceSpecs(options: UpOptions, stack: RunningStack): ServiceSpec[] {
  const { ingressUrl, consoleUrl, projectorUrl } = urlsOf(options);
  // KAFKA_BROKERS and DATABASE_URL, with a secured stack's TLS and SASL variables.
  const connection = stackClientEnv(stack);
  const common = {
    ...connection,
    TOPIC_PARTITIONS: String(options.topicPartitions),
    // The topics exist by now; the services check theirs against this and log a mismatch.
    TOPIC_REPLICATION_FACTOR: String(stack.topicReplication.replicationFactor),
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  return [
    {
      name: 'ingress',
      entry: 'services/ingress/src/main.ts',
      env: {
        ...common,
        PORT: String(options.ingressPort),
        WEBHOOK_API_KEYS: options.webhookKeys.join(','),
      },
      readyUrl: `${ingressUrl}/readyz`,
      logFile: join(options.logDir, 'ingress.log'),
    },
    ...PROJECTORS.map((p) => ({
      name: p.name,
      entry: `services/${p.name}/src/main.ts`,
      env: {
        ...common,
        HEALTH_PORT: String(options.projectorPorts[p.key]),
        HEALTH_HOST: '127.0.0.1',
      },
      readyUrl: `${projectorUrl(p.key)}/healthz`,
      logFile: join(options.logDir, `${p.name}.log`),
    })),
    {
      name: 'console',
      entry: 'services/console/src/main.ts',
      env: {
        ...connection,
        PORT: String(options.consolePort),
        HOST: '127.0.0.1',
        CONSOLE_API_KEYS: options.consoleKeys.join(','),
        METRICS_URLS: [
          `ingress=${ingressUrl}/metrics`,
          ...PROJECTORS.map((p) => `${p.key}=${projectorUrl(p.key)}/metrics`),
        ].join(','),
      },
      readyUrl: `${consoleUrl}/healthz`,
      logFile: join(options.logDir, 'console.log'),
    },
  ];
}

/** The NovaMed sandbox, registered to deliver to the ingress with the first webhook key. */
function sandboxSpec(options: UpOptions): ServiceSpec {
  const { ingressUrl, sandboxUrl } = urlsOf(options);
  return {
    name: 'novamed-sandbox',
    entry: 'services/novamed-sandbox/src/main.ts',
    env: {
      PORT: String(options.sandboxPort),
      HOST: '127.0.0.1',
      SANDBOX_API_KEY: options.sandboxApiKey,
      SANDBOX_WEBHOOK_SECRET: options.webhookKeys[0] ?? '',
      REGISTER_WEBHOOK_URL: `${ingressUrl}/webhooks/novamed`,
      STREAM_RATE: String(options.streamRate),
      STREAM_DUPLICATE_RATE: '0.02',
      STREAM_OUT_OF_ORDER_RATE: '0.02',
    },
    readyUrl: `${sandboxUrl}/healthz`,
    logFile: join(options.logDir, 'novamed-sandbox.log'),
  };
}

/** The services' rows of the summary table. */
function summaryRows(options: UpOptions): [string, string][] {
  const { ingressUrl, consoleUrl, sandboxUrl, projectorUrl } = urlsOf(options);
  return [
    [
      'ingress',
      `${ingressUrl}/webhooks/novamed  (docs ${ingressUrl}/docs, metrics ${ingressUrl}/metrics)`,
    ],
    ...PROJECTORS.map((p): [string, string] => [
      p.name,
      `${projectorUrl(p.key)}/healthz  /metrics`,
    ]),
    [
      'novamed sandbox',
      `${sandboxUrl}  (registration ${sandboxUrl}/api/external/webhook, status ${sandboxUrl}/sandbox/status)`,
    ],
    [
      'console',
      `${consoleUrl}  (key: consoleKey in .novamed-stream/stack.json; explorer, live flow, analytics)`,
    ],
    ['service logs', options.logDir],
  ];
}

/** What `up` adds to stack.json (the service logs are added by the caller). */
function stackFields(options: UpOptions): Record<string, unknown> {
  const { ingressUrl, consoleUrl, sandboxUrl, projectorUrl } = urlsOf(options);
  return {
    ingressUrl,
    webhookUrl: `${ingressUrl}/webhooks/novamed`,
    webhookKey: options.webhookKeys[0],
    projectorUrls: Object.fromEntries(PROJECTORS.map((p) => [p.key, projectorUrl(p.key)])),
    sandboxUrl,
    sandboxApiKey: options.sandboxApiKey,
    consoleUrl,
    consoleKey: options.consoleKeys[0],
  };
}

/** The lines printed after the summary: how to look at the system and send it an event. */
function notes(options: UpOptions, stack: RunningStack): string[] {
  const { ingressUrl, consoleUrl, sandboxUrl } = urlsOf(options);
  const psql = `psql '${stack.databaseUrl}'`;
  return [
    `Open the console at ${consoleUrl} and sign in with the key printed by:`,
    `  node -p "require('./.novamed-stream/stack.json').consoleKey"`,
    '',
    `The NovaMed sandbox registered the ingress for the guide's clinic and sends ~${options.streamRate} event/s`,
    '(SANDBOX_STREAM_RATE), with some duplicates and out-of-order deliveries. Watch rows appear:',
    `  ${psql} -c 'select order_id, status, carrier, last_event_at from analytics.orders order by last_event_at desc limit 10'`,
    `  deliveries: curl -s -H "x-api-key: $(node -p "require('./.novamed-stream/stack.json').sandboxApiKey")" ${sandboxUrl}/sandbox/deliveries/summary`,
    '',
    'Send the guide sample (the webhook key is in .novamed-stream/stack.json, field webhookKey):',
    `  curl -s -X POST ${ingressUrl}/webhooks/novamed -H 'content-type: application/json' \\`,
    `    -H "x-api-key: $(node -p "require('./.novamed-stream/stack.json').webhookKey")" \\`,
    `    --data-binary @packages/events/test/fixtures/order-shipped.json`,
    'Then look at the read model:',
    `  ${psql} -c 'select order_id, status, carrier, shipped_at from analytics.orders'`,
  ];
}

/**
 * `novamed-stream up`: the whole local system in the foreground until Ctrl-C, SIGTERM or SIGHUP;
 * resolves with the exit code once everything has stopped.
 */
export function up(env: NodeJS.ProcessEnv, dataDir: string): Promise<number> {
  return runLocalStack(systemExtension(readUpOptions(env, dataDir)));
}
