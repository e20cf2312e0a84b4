import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensureTopic, findFreePorts, findRepoRoot, ServiceProcess } from '@novamed-stream/devstack';
import { type IngressProcess, ingressProcess } from './ingress-process.js';
import { type ProjectorProcess, projectorProcess } from './projector-process.js';
import { PROJECTOR_NAMES, type ProjectorName, SERVICE_ENTRIES } from './service-entries.js';
import { testStack } from './test-stack.js';
import { uniqueName } from './unique-name.js';

/** Options of {@link startSystem}. */
export interface StartSystemOptions {
  /** One log file per service here (`ingress.log`, `orders.log`, ...). */
  logDir: string;
  /** A migrated database (e.g. `createTestDatabase()`, then the db package's `migrateToLatest`). */
  databaseUrl: string;
  /** Default: the test run's shared broker (`testStack()`). */
  brokers?: readonly string[];
  /** Default: a unique `novamed.events.v1.system_...` topic; created when missing. */
  eventsTopic?: string;
  /** Default: `<eventsTopic>.quarantine`; created when missing. */
  quarantineTopic?: string;
  /** Partitions of the topics it creates; default 6. */
  partitions?: number;
  /** Webhook keys the ingress accepts; default one random key. */
  webhookKeys?: readonly string[];
  /** Projectors to start; default all three, `[]` for none. */
  projectors?: readonly ProjectorName[];
  /** The NovaMed sandbox, registered with the ingress; off by default. */
  sandbox?: { streamRate?: number; env?: Record<string, string> };
  /** The console, reading the projectors' metrics; off by default. */
  console?: { env?: Record<string, string> };
  /** Extra environment per service, over the defaults. */
  env?: { ingress?: Record<string, string>; projectors?: Record<string, string> };
}

/** The started system: where to reach it, its keys and its processes. */
export interface RunningSystem {
  brokers: readonly string[];
  databaseUrl: string;
  eventsTopic: string;
  quarantineTopic: string;
  ingress: IngressProcess;
  /** The ingress's first accepted key (`x-api-key`). */
  webhookKey: string;
  projectors: Partial<Record<ProjectorName, ProjectorProcess>>;
  sandbox?: { process: ServiceProcess; url: string; apiKey: string };
  console?: { process: ServiceProcess; url: string; key: string };
  /** Every process, in start order. */
  processes: readonly ServiceProcess[];
  /** Stops in reverse start order: sandbox, console, ingress (drains into Kafka), projectors. */
  stop(): Promise<void>;
}

/**
 * The real services as processes (`ServiceProcess`, run by entry path as deployed): the ingress,
 * the projectors, and optionally the NovaMed sandbox and the console, on free ports, against the
 * test run's Kafka (or `brokers`) and a migrated database. Resolves once each is ready; on a
 * failure, stops what it started and rethrows (the error carries the failing log's tail).
 */
export async function startSystem(options: StartSystemOptions): Promise<RunningSystem> {
  const brokers = options.brokers ?? testStack().kafkaBrokers;
  const eventsTopic = options.eventsTopic ?? uniqueName('novamed.events.v1.system');
  const quarantineTopic = options.quarantineTopic ?? `${eventsTopic}.quarantine`;
  for (const topic of [eventsTopic, quarantineTopic]) {
    await ensureTopic({ brokers, topic, partitions: options.partitions ?? 6 });
  }
  const webhookKeys = options.webhookKeys ?? [`syskey_${randomBytes(18).toString('hex')}`];
  const webhookKey = webhookKeys[0];
  if (webhookKey === undefined) throw new Error('startSystem: webhookKeys is empty');

  const started: ServiceProcess[] = [];
  const stopAll = async () => {
    // Reverse start order: the sandbox stops sending first, the ingress drains before the
    // projectors stop.
    for (const p of [...started].reverse()) await p.stop(10_000);
  };
  try {
    const ingress = await ingressProcess({
      brokers,
      apiKeys: webhookKeys,
      eventsTopic,
      quarantineTopic,
      logDir: options.logDir,
      ...(options.env?.ingress ? { env: options.env.ingress } : {}),
    });
    const projectors: Partial<Record<ProjectorName, ProjectorProcess>> = {};
    for (const name of options.projectors ?? PROJECTOR_NAMES) {
      projectors[name] = await projectorProcess({
        projector: name,
        brokers,
        databaseUrl: options.databaseUrl,
        topic: eventsTopic,
        logDir: options.logDir,
        ...(options.env?.projectors ? { env: options.env.projectors } : {}),
      });
    }
    const first = [...Object.values(projectors), ingress.process];
    // Push before starting, so a failure stops those that did start.
    started.push(...first);
    await Promise.all(first.map((p) => p.start()));

    const root = findRepoRoot();
    let consoleService: RunningSystem['console'];
    if (options.console) {
      const [port] = await findFreePorts(1);
      const url = `http://127.0.0.1:${port}`;
      const key = `console_${randomBytes(24).toString('hex')}`;
      const process = new ServiceProcess(
        {
          name: 'console',
          entry: SERVICE_ENTRIES.console,
          readyUrl: `${url}/healthz`,
          logFile: join(options.logDir, 'console.log'),
          env: {
            KAFKA_BROKERS: brokers.join(','),
            DATABASE_URL: options.databaseUrl,
            EVENTS_TOPIC: eventsTopic,
            PORT: String(port),
            HOST: '127.0.0.1',
            CONSOLE_API_KEYS: key,
            METRICS_URLS: [
              `ingress=${ingress.url}/metrics`,
              ...Object.entries(projectors).map(
                ([name, p]) => `${name}=${p.healthUrl.replace(/\/healthz$/, '/metrics')}`,
              ),
            ].join(','),
            ...options.console.env,
          },
        },
        root,
      );
      started.push(process);
      await process.start();
      consoleService = { process, url, key };
    }

    // The sandbox last, so the ingress is ready for its first delivery (as in `up`).
    let sandbox: RunningSystem['sandbox'];
    if (options.sandbox) {
      const [port] = await findFreePorts(1);
      const url = `http://127.0.0.1:${port}`;
      const apiKey = `sandbox_${randomBytes(24).toString('hex')}`;
      const process = new ServiceProcess(
        {
          name: 'novamed-sandbox',
          entry: SERVICE_ENTRIES.sandbox,
          readyUrl: `${url}/healthz`,
          logFile: join(options.logDir, 'novamed-sandbox.log'),
          env: {
            PORT: String(port),
            HOST: '127.0.0.1',
            SANDBOX_API_KEY: apiKey,
            SANDBOX_WEBHOOK_SECRET: webhookKey,
            REGISTER_WEBHOOK_URL: ingress.webhookUrl,
            STREAM_RATE: String(options.sandbox.streamRate ?? 0),
            ...options.sandbox.env,
          },
        },
        root,
      );
      started.push(process);
      await process.start();
      sandbox = { process, url, apiKey };
    }

    return {
      brokers,
      databaseUrl: options.databaseUrl,
      eventsTopic,
      quarantineTopic,
      ingress,
      webhookKey,
      projectors,
      ...(sandbox ? { sandbox } : {}),
      ...(consoleService ? { console: consoleService } : {}),
      processes: [...started],
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
