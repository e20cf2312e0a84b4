import { randomBytes } from 'node:crypto';
import { ensureTopic, findFreePorts, type ServiceProcess } from '@novamed-stream/devstack';
import { type ConsoleProcess, consoleProcess } from './console-process.js';
import { type IngressProcess, ingressProcess } from './ingress-process.js';
import { type ProjectorProcess, projectorProcess } from './projector-process.js';
import { type SandboxProcess, sandboxProcess } from './sandbox-process.js';
import { PROJECTOR_NAMES, type ProjectorName } from './service-entries.js';
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
  /**
   * Processes per service, as when scaling past one machine: `ingress` instances on their own
   * ports appending to the same topic, `projectors` instances of each projector in its one
   * consumer group. Default 1 each. With more than one, processes and logs are named
   * `<name>-1`, `<name>-2`, ...
   */
  instances?: { ingress?: number; projectors?: number };
  /** The NovaMed sandbox, registered with the (first) ingress; off by default. */
  sandbox?: { streamRate?: number; env?: Record<string, string> };
  /** The console, reading the first instance's metrics of each service; off by default. */
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
  /** The first ingress instance. */
  ingress: IngressProcess;
  /** Every ingress instance, in start order (one unless `instances.ingress`). */
  ingresses: readonly IngressProcess[];
  /** The ingress's first accepted key (`x-api-key`). */
  webhookKey: string;
  /** The first instance of each projector. */
  projectors: Partial<Record<ProjectorName, ProjectorProcess>>;
  /** Every instance of each projector (one each unless `instances.projectors`). */
  projectorInstances: Partial<Record<ProjectorName, readonly ProjectorProcess[]>>;
  sandbox?: SandboxProcess;
  console?: ConsoleProcess;
  /** Every process, in start order. */
  processes: readonly ServiceProcess[];
  /** Stops in reverse start order: sandbox, console, ingress (drains into Kafka), projectors. */
  stop(): Promise<void>;
}

/** Core services before they are started. */
interface CoreServices {
  ingresses: IngressProcess[];
  projectorInstances: Partial<Record<ProjectorName, ProjectorProcess[]>>;
}

/**
 * The real services as processes (`ServiceProcess`, run by entry path as deployed): the ingress,
 * the projectors (each N times with `instances`), and optionally the NovaMed sandbox and the
 * console, on free ports, against the test run's Kafka (or `brokers`) and a migrated database.
 * Resolves once each is ready; on a failure, stops what it started and rethrows (the error
 * carries the failing log's tail).
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
    const core = await coreServices(options, {
      brokers,
      eventsTopic,
      quarantineTopic,
      webhookKeys,
    });
    const first = [
      ...Object.values(core.projectorInstances).flat(),
      ...core.ingresses.map((i) => i.process),
    ];
    // Push before starting, so a failure stops those that did start.
    started.push(...first);
    await Promise.all(first.map((p) => p.start()));
    const ingress = core.ingresses[0] as IngressProcess;
    const projectors = firstOfEach(core.projectorInstances);

    const { consoleService, sandbox } = await optionalServices(
      options,
      { brokers, eventsTopic, webhookKey, ingress, projectors },
      started,
    );

    return {
      brokers,
      databaseUrl: options.databaseUrl,
      eventsTopic,
      quarantineTopic,
      ingress,
      ingresses: core.ingresses,
      webhookKey,
      projectors,
      projectorInstances: core.projectorInstances,
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

/**
 * The console and the sandbox when asked for, each started once created (pushed onto `started`
 * first, so a failure stops it).
 */
async function optionalServices(
  options: StartSystemOptions,
  running: {
    brokers: readonly string[];
    eventsTopic: string;
    webhookKey: string;
    ingress: IngressProcess;
    projectors: Partial<Record<ProjectorName, ProjectorProcess>>;
  },
  started: ServiceProcess[],
): Promise<{ consoleService?: ConsoleProcess; sandbox?: SandboxProcess }> {
  const { brokers, eventsTopic, webhookKey, ingress, projectors } = running;
  let consoleService: ConsoleProcess | undefined;
  if (options.console) {
    consoleService = await consoleProcess({
      brokers,
      databaseUrl: options.databaseUrl,
      eventsTopic,
      // The console names each source (letters only): it watches one instance of each.
      metricsUrls: [
        `ingress=${ingress.url}/metrics`,
        ...Object.entries(projectors).map(
          ([name, p]) => `${name}=${p.healthUrl.replace(/\/healthz$/, '/metrics')}`,
        ),
      ],
      logDir: options.logDir,
      ...(options.console.env ? { env: options.console.env } : {}),
    });
    started.push(consoleService.process);
    await consoleService.process.start();
  }

  // The sandbox last, so the ingress is ready for its first delivery (as in `up`).
  let sandbox: SandboxProcess | undefined;
  if (options.sandbox) {
    sandbox = await sandboxProcess({
      webhookUrl: ingress.webhookUrl,
      webhookKey,
      logDir: options.logDir,
      ...options.sandbox,
    });
    started.push(sandbox.process);
    await sandbox.process.start();
  }

  return { ...(consoleService ? { consoleService } : {}), ...(sandbox ? { sandbox } : {}) };
}

/** The ingress and projector instances, not started yet. */
async function coreServices(
  options: StartSystemOptions,
  shared: {
    brokers: readonly string[];
    eventsTopic: string;
    quarantineTopic: string;
    webhookKeys: readonly string[];
  },
): Promise<CoreServices> {
  const ingressCount = instanceCount(options.instances?.ingress, 'ingress');
  const projectorCount = instanceCount(options.instances?.projectors, 'projectors');
  const ingresses: IngressProcess[] = [];
  // All ports at once: two separate probes could be handed the same just-released port.
  const ports = await findFreePorts(ingressCount);
  for (const [i, port] of ports.entries()) {
    ingresses.push(
      await ingressProcess({
        brokers: shared.brokers,
        apiKeys: shared.webhookKeys,
        eventsTopic: shared.eventsTopic,
        quarantineTopic: shared.quarantineTopic,
        logDir: options.logDir,
        label: instanceLabel('ingress', i, ingressCount),
        port,
        ...(options.env?.ingress ? { env: options.env.ingress } : {}),
      }),
    );
  }
  const projectorInstances: CoreServices['projectorInstances'] = {};
  for (const name of options.projectors ?? PROJECTOR_NAMES) {
    const instances: ProjectorProcess[] = [];
    for (let i = 0; i < projectorCount; i++) {
      instances.push(
        await projectorProcess({
          projector: name,
          brokers: shared.brokers,
          databaseUrl: options.databaseUrl,
          topic: shared.eventsTopic,
          logDir: options.logDir,
          label: instanceLabel(name, i, projectorCount),
          ...(options.env?.projectors ? { env: options.env.projectors } : {}),
        }),
      );
    }
    projectorInstances[name] = instances;
  }
  return { ingresses, projectorInstances };
}

function instanceCount(value: number | undefined, what: string): number {
  const count = value ?? 1;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`startSystem: instances.${what} must be a whole number of at least 1`);
  }
  return count;
}

/** `orders` for a single instance (as deployed), `orders-1`, `orders-2`, ... for several. */
function instanceLabel(name: string, index: number, count: number): string {
  return count === 1 ? name : `${name}-${index + 1}`;
}

function firstOfEach(
  instances: Partial<Record<ProjectorName, ProjectorProcess[]>>,
): Partial<Record<ProjectorName, ProjectorProcess>> {
  const first: Partial<Record<ProjectorName, ProjectorProcess>> = {};
  for (const [name, list] of Object.entries(instances) as Array<
    [ProjectorName, ProjectorProcess[]]
  >) {
    const process = list[0];
    if (process) first[name] = process;
  }
  return first;
}
