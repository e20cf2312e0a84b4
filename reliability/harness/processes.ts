import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePorts } from '@novamed-stream/devstack';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The services' entry points, run as deployed: one node process each (tsx as a loader). */
export const SERVICE_MAINS = {
  ingress: 'services/ingress/src/main.ts',
  orders: 'services/projector-orders/src/main.ts',
  medication_requests: 'services/projector-medication-requests/src/main.ts',
  refills: 'services/projector-refills/src/main.ts',
} as const;

export type ServiceName = keyof typeof SERVICE_MAINS;

/**
 * One service run as its own OS process, its stdout and stderr appended to a log file (the
 * PHI sweep reads them). It can be SIGKILLed, SIGTERMed and started again with the same
 * environment; `starts` counts the processes it ran.
 */
export class ServiceProcess {
  readonly logFile: string;
  starts = 0;
  readonly exits: Array<{ code: number | null; signal: string | null }> = [];
  #child: ChildProcess | undefined;
  #log: WriteStream;

  constructor(
    readonly label: string,
    readonly service: ServiceName,
    readonly env: Record<string, string>,
    logDir: string,
  ) {
    this.logFile = join(logDir, `${label}.log`);
    this.#log = createWriteStream(this.logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && !this.#child.signalCode;
  }

  /** Starts a process (after the previous one exited). */
  start(): void {
    if (this.running) throw new Error(`${this.label} is already running (pid ${this.pid})`);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', join(repoRoot, SERVICE_MAINS[this.service])],
      {
        cwd: repoRoot,
        env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.starts++;
    this.#log.write(`--- harness: start #${this.starts}, pid ${child.pid}\n`);
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    child.once('exit', (code, signal) => {
      this.exits.push({ code, signal });
      this.#log.write(`--- harness: pid ${child.pid} exited (${code ?? signal})\n`);
    });
    this.#child = child;
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `forceAfterMs`. Returns the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', forceAfterMs = 30_000): Promise<number | null> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill(signal);
    const force = setTimeout(() => child.kill('SIGKILL'), forceAfterMs);
    const code = await exited;
    clearTimeout(force);
    return code;
  }

  /** SIGKILL: no shutdown hook runs. */
  kill(): Promise<number | null> {
    return this.stop('SIGKILL');
  }

  /** Stops the process if running and closes the log file. */
  async close(): Promise<void> {
    await this.stop('SIGTERM', 10_000);
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }
}

/** Polls `url` until it answers 200 (or `timeoutMs` passes, which throws). */
export async function waitForOk(url: string, timeoutMs = 60_000, what = url): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms`);
}

/** Options of {@link startIngressProcess}. */
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
  /** Starts it (again) and waits for /readyz. */
  startAndWait(timeoutMs?: number): Promise<void>;
}

export async function startIngressProcess(options: IngressProcessOptions): Promise<IngressProcess> {
  const [port] = await findFreePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const process = new ServiceProcess(
    options.label ?? 'ingress',
    'ingress',
    {
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
    options.logDir,
  );
  const ingress: IngressProcess = {
    process,
    url,
    webhookUrl: `${url}/webhooks/novamed`,
    startAndWait: async (timeoutMs = 90_000) => {
      process.start();
      await waitForOk(`${url}/readyz`, timeoutMs, `ingress (${process.label})`);
    },
  };
  await ingress.startAndWait();
  return ingress;
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

/** A projector service process (not started yet), with a health port of its own. */
export async function projectorProcess(
  options: ProjectorProcessOptions,
): Promise<ServiceProcess & { healthUrl: string }> {
  const [port] = await findFreePorts(1);
  const process = new ServiceProcess(
    options.label ?? options.projector,
    options.projector,
    {
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
    options.logDir,
  );
  return Object.assign(process, { healthUrl: `http://127.0.0.1:${port}/healthz` });
}
