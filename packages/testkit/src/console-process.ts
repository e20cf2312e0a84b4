import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { findFreePorts, findRepoRoot, ServiceProcess } from '@novamed-stream/devstack';
import { SERVICE_ENTRIES } from './service-entries.js';

/** Options of {@link consoleProcess}. */
export interface ConsoleProcessOptions {
  brokers: readonly string[];
  databaseUrl: string;
  eventsTopic: string;
  /** `name=url` of each `/metrics` page the console reads (names: lower-case letters, `_`, `-`). */
  metricsUrls: readonly string[];
  /** Its log goes to `<logDir>/console.log`. */
  logDir: string;
  /** Extra environment, over the defaults. */
  env?: Record<string, string>;
}

/** The console process, where it listens and its key. */
export interface ConsoleProcess {
  process: ServiceProcess;
  url: string;
  key: string;
}

/**
 * The real console (`services/console/src/main.ts`) as a {@link ServiceProcess} on a free port
 * with a random key, not started yet: `process.start()` waits for its /healthz.
 */
export async function consoleProcess(options: ConsoleProcessOptions): Promise<ConsoleProcess> {
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
        KAFKA_BROKERS: options.brokers.join(','),
        DATABASE_URL: options.databaseUrl,
        EVENTS_TOPIC: options.eventsTopic,
        PORT: String(port),
        HOST: '127.0.0.1',
        CONSOLE_API_KEYS: key,
        METRICS_URLS: options.metricsUrls.join(','),
        ...options.env,
      },
    },
    findRepoRoot(),
  );
  return { process, url, key };
}
