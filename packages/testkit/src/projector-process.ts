import { join } from 'node:path';
import { findFreePorts, findRepoRoot, ServiceProcess } from '@novamed-stream/devstack';
import { type ProjectorName, SERVICE_ENTRIES } from './service-entries.js';

/** Options of {@link projectorProcess}. */
export interface ProjectorProcessOptions {
  projector: ProjectorName;
  brokers: readonly string[];
  /** A migrated database. */
  databaseUrl: string;
  /** The events topic; its dead letters go to `<topic>.dead-letter`. */
  topic: string;
  /** Its log goes to `<logDir>/<label>.log`. */
  logDir: string;
  /** Name of the process and its log; default the projector's name. */
  label?: string;
  /** Default 120 s. */
  readyTimeoutMs?: number;
  /** Extra environment, over the defaults. */
  env?: Record<string, string>;
}

/** A projector service process and the health URL it is ready at. */
export type ProjectorProcess = ServiceProcess & { healthUrl: string };

/**
 * A projector service (`services/projector-<name>/src/main.ts`) as a {@link ServiceProcess} on a
 * free health port, not started yet: `start()` waits for its /healthz.
 */
export async function projectorProcess(
  options: ProjectorProcessOptions,
): Promise<ProjectorProcess> {
  const [port] = await findFreePorts(1);
  const name = options.label ?? options.projector;
  const healthUrl = `http://127.0.0.1:${port}/healthz`;
  const process = new ServiceProcess(
    {
      name,
      entry: SERVICE_ENTRIES[options.projector],
      readyUrl: healthUrl,
      readyTimeoutMs: options.readyTimeoutMs ?? 120_000,
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
        ...options.env,
      },
    },
    findRepoRoot(),
  );
  return Object.assign(process, { healthUrl });
}
