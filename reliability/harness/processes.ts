import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePorts, ServiceProcess } from '@novamed-stream/devstack';

export { ServiceProcess };

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The services' entry points, run as deployed (the same class `novamed-stream up` uses). */
export const SERVICE_MAINS = {
  ingress: 'services/ingress/src/main.ts',
  orders: 'services/projector-orders/src/main.ts',
  medication_requests: 'services/projector-medication-requests/src/main.ts',
  refills: 'services/projector-refills/src/main.ts',
} as const;

export type ServiceName = keyof typeof SERVICE_MAINS;

/** Options of {@link ingressProcess}. */
export interface IngressProcessOptions {
  brokers: readonly string[];
  apiKeys: readonly string[];
  eventsTopic: string;
  quarantineTopic: string;
  logDir: string;
  label?: string;
  /** Extra environment (limits, timeouts). */
  env?: Record<string, string>;
}

/** The real ingress in its own process on a fixed free port (kept across restarts). */
export interface IngressProcess {
  process: ServiceProcess;
  url: string;
  webhookUrl: string;
}

/** Starts the ingress and waits for its /readyz. */
export async function startIngressProcess(options: IngressProcessOptions): Promise<IngressProcess> {
  const [port] = await findFreePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const name = options.label ?? 'ingress';
  const process = new ServiceProcess(
    {
      name,
      entry: SERVICE_MAINS.ingress,
      readyUrl: `${url}/readyz`,
      readyTimeoutMs: 90_000,
      logFile: join(options.logDir, `${name}.log`),
      env: {
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        PORT: String(port),
        HOST: '127.0.0.1',
        WEBHOOK_API_KEYS: options.apiKeys.join(','),
        KAFKA_BROKERS: options.brokers.join(','),
        EVENTS_TOPIC: options.eventsTopic,
        QUARANTINE_TOPIC: options.quarantineTopic,
        TOPIC_PARTITIONS: '6',
        LOG_LEVEL: 'info',
        ...options.env,
      },
    },
    repoRoot,
  );
  await process.start();
  return { process, url, webhookUrl: `${url}/webhooks/novamed` };
}

/** Options of {@link projectorProcess}. */
export interface ProjectorProcessOptions {
  projector: Exclude<ServiceName, 'ingress'>;
  brokers: readonly string[];
  databaseUrl: string;
  topic: string;
  logDir: string;
  label?: string;
  env?: Record<string, string>;
}

/** A projector service process (not started yet: `start()` waits for its /healthz). */
export async function projectorProcess(
  options: ProjectorProcessOptions,
): Promise<ServiceProcess & { healthUrl: string }> {
  const [port] = await findFreePorts(1);
  const name = options.label ?? options.projector;
  const healthUrl = `http://127.0.0.1:${port}/healthz`;
  const process = new ServiceProcess(
    {
      name,
      entry: SERVICE_MAINS[options.projector],
      readyUrl: healthUrl,
      readyTimeoutMs: 120_000,
      logFile: join(options.logDir, `${name}.log`),
      env: {
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        KAFKA_BROKERS: options.brokers.join(','),
        DATABASE_URL: options.databaseUrl,
        EVENTS_TOPIC: options.topic,
        DEAD_LETTER_TOPIC: `${options.topic}.dead-letter`,
        HEALTH_PORT: String(port),
        HEALTH_HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        // A SIGKILLed member holds its partitions until its session times out.
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        ...options.env,
      },
    },
    repoRoot,
  );
  return Object.assign(process, { healthUrl });
}
