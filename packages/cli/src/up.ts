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
  type StackExtension,
} from '@novamed-stream/devstack';
import { DEAD_LETTER_TOPIC, QUARANTINE_TOPIC } from '@novamed-stream/events';
import { ServiceProcess, type ServiceSpec } from './service-process.js';

/** Settings of `up`, from the environment (see README.md). */
export interface UpOptions {
  ingressPort: number;
  projectorPorts: { orders: number; medication_requests: number; refills: number };
  /** Accepted webhook keys; a random one when WEBHOOK_API_KEYS is unset. */
  webhookKeys: string[];
  topicPartitions: number;
  logDir: string;
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

/** Reads `up`'s variables; a bad value names the variable. */
export function readUpOptions(env: NodeJS.ProcessEnv, dataDir: string): UpOptions {
  const port = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65_535) {
      throw new DevstackError(`${name} must be a port number from 1 to 65535.`, {
        hint: 'Fix or unset it.',
      });
    }
    return value;
  };
  const keys = (env['WEBHOOK_API_KEYS'] ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  return {
    ingressPort: port('INGRESS_PORT', 8080),
    projectorPorts: {
      orders: port('ORDERS_HEALTH_PORT', 9101),
      medication_requests: port('MEDICATION_REQUESTS_HEALTH_PORT', 9102),
      refills: port('REFILLS_HEALTH_PORT', 9103),
    },
    webhookKeys: keys.length > 0 ? keys : [`dev_${randomBytes(24).toString('hex')}`],
    topicPartitions: Number(env['TOPIC_PARTITIONS'] ?? 6) || 6,
    logDir: join(dataDir, 'logs'),
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
      await assertPortFree(options.ingressPort, 'the ingress', 'INGRESS_PORT');
      for (const p of PROJECTORS)
        await assertPortFree(options.projectorPorts[p.key], p.name, p.env);

      const db = createDb({ connectionString: stack.databaseUrl, maxConnections: 1 });
      try {
        const migrated = await migrateToLatest(db);
        if (!migrated.ok) {
          throw new DevstackError(
            `Migration ${migrated.failed} failed: ${migrated.error.message}`,
            {
              hint: 'Check DATABASE_URL points at a database this user may change.',
            },
          );
        }
      } finally {
        await db.destroy();
      }
      for (const topic of [QUARANTINE_TOPIC, DEAD_LETTER_TOPIC]) {
        await ensureTopic({
          brokers: stack.kafkaBrokers,
          topic,
          partitions: options.topicPartitions,
        });
      }

      const common = {
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        DATABASE_URL: stack.databaseUrl,
        TOPIC_PARTITIONS: String(options.topicPartitions),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      };
      const specs: ServiceSpec[] = [
        {
          name: 'ingress',
          entry: 'services/ingress/src/main.ts',
          env: {
            ...common,
            PORT: String(options.ingressPort),
            WEBHOOK_API_KEYS: options.webhookKeys.join(','),
          },
          readyUrl: `http://127.0.0.1:${options.ingressPort}/readyz`,
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
          readyUrl: `http://127.0.0.1:${options.projectorPorts[p.key]}/healthz`,
          logFile: join(options.logDir, `${p.name}.log`),
        })),
      ];
      const services = specs.map((spec) => new ServiceProcess(spec, root));
      try {
        await Promise.all(services.map((s) => s.start()));
      } catch (error) {
        await Promise.all(services.map((s) => s.stop(5000)));
        throw error;
      }

      const ingressUrl = `http://127.0.0.1:${options.ingressPort}`;
      const psql = `psql '${stack.databaseUrl}'`;
      return {
        rows: [
          [
            'ingress',
            `${ingressUrl}/webhooks/novamed  (docs ${ingressUrl}/docs, metrics ${ingressUrl}/metrics)`,
          ],
          ...PROJECTORS.map(
            (p) =>
              [p.name, `http://127.0.0.1:${options.projectorPorts[p.key]}/healthz  /metrics`] as [
                string,
                string,
              ],
          ),
          ['service logs', options.logDir],
        ],
        stackFields: {
          ingressUrl,
          webhookUrl: `${ingressUrl}/webhooks/novamed`,
          webhookKey: options.webhookKeys[0],
          projectorUrls: Object.fromEntries(
            PROJECTORS.map((p) => [p.key, `http://127.0.0.1:${options.projectorPorts[p.key]}`]),
          ),
          serviceLogs: Object.fromEntries(specs.map((s) => [s.name, s.logFile])),
        },
        pids: Object.fromEntries(services.map((s) => [s.spec.name, s.pid ?? 0])),
        notes: [
          'Send the guide sample (the webhook key is in .novamed-stream/stack.json, field webhookKey):',
          `  curl -s -X POST ${ingressUrl}/webhooks/novamed -H 'content-type: application/json' \\`,
          `    -H "x-api-key: $(node -p "require('./.novamed-stream/stack.json').webhookKey")" \\`,
          `    --data-binary @packages/events/test/fixtures/order-shipped.json`,
          'Then look at the read model:',
          `  ${psql} -c 'select order_id, status, carrier, shipped_at from analytics.orders'`,
        ],
        dead: () => services.find((s) => !s.running)?.spec.name,
        kill: async () => {
          await Promise.all(services.map((s) => s.kill()));
        },
        stop: async () => {
          // Ingress first (it drains in-flight webhooks into Kafka), then the projectors.
          await services[0]?.stop();
          await Promise.all(services.slice(1).map((s) => s.stop()));
        },
      };
    },
  };
}

/** `novamed-stream up`: the whole local system in the foreground until Ctrl-C. */
export async function up(env: NodeJS.ProcessEnv, dataDir: string): Promise<void> {
  await runLocalStack(systemExtension(readUpOptions(env, dataDir)));
}
