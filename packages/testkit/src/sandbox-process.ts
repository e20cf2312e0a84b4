import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { findFreePorts, findRepoRoot, ServiceProcess } from '@novamed-stream/devstack';
import { SERVICE_ENTRIES } from './service-entries.js';

/** Options of {@link sandboxProcess}. */
export interface SandboxProcessOptions {
  /** The ingress webhook the sandbox registers and delivers to. */
  webhookUrl: string;
  /** The `x-api-key` it sends (one the ingress accepts). */
  webhookKey: string;
  /** Events per second of its demo stream; default 0 (none). */
  streamRate?: number;
  /** Its log goes to `<logDir>/novamed-sandbox.log`. */
  logDir: string;
  /** Extra environment, over the defaults. */
  env?: Record<string, string>;
}

/** The sandbox process, where it listens and its partner API key. */
export interface SandboxProcess {
  process: ServiceProcess;
  url: string;
  apiKey: string;
}

/**
 * The NovaMed sandbox (`services/novamed-sandbox/src/main.ts`) as a {@link ServiceProcess} on a
 * free port, registered with `webhookUrl`, not started yet: `process.start()` waits for its
 * /healthz.
 */
export async function sandboxProcess(options: SandboxProcessOptions): Promise<SandboxProcess> {
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
        SANDBOX_WEBHOOK_SECRET: options.webhookKey,
        REGISTER_WEBHOOK_URL: options.webhookUrl,
        STREAM_RATE: String(options.streamRate ?? 0),
        ...options.env,
      },
    },
    findRepoRoot(),
  );
  return { process, url, apiKey };
}
