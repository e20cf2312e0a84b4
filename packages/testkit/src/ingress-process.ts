import { join } from 'node:path';
import { findFreePorts, findRepoRoot, ServiceProcess } from '@novamed-stream/devstack';
import { SERVICE_ENTRIES } from './service-entries.js';

/** Options of {@link ingressProcess}. */
export interface IngressProcessOptions {
  brokers: readonly string[];
  apiKeys: readonly string[];
  eventsTopic: string;
  quarantineTopic: string;
  /** Its log goes to `<logDir>/<label>.log`. */
  logDir: string;
  /** Name of the process and its log; default `ingress`. */
  label?: string;
  /** Default: a free port, chosen once (kept across restarts). */
  port?: number;
  /** Default 90 s. */
  readyTimeoutMs?: number;
  /** Extra environment (limits, timeouts), over the defaults. */
  env?: Record<string, string>;
}

/** The real ingress as a process of its own, on a port kept across restarts. */
export interface IngressProcess {
  process: ServiceProcess;
  url: string;
  webhookUrl: string;
}

/**
 * The real ingress (`services/ingress/src/main.ts`) as a {@link ServiceProcess}, not started
 * yet: `process.start()` waits for its /readyz.
 */
export async function ingressProcess(options: IngressProcessOptions): Promise<IngressProcess> {
  const port = options.port ?? (await findFreePorts(1))[0];
  const url = `http://127.0.0.1:${port}`;
  const name = options.label ?? 'ingress';
  const process = new ServiceProcess(
    {
      name,
      entry: SERVICE_ENTRIES.ingress,
      readyUrl: `${url}/readyz`,
      readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
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
    findRepoRoot(),
  );
  return { process, url, webhookUrl: `${url}/webhooks/novamed` };
}
