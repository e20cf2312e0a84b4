import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pollUntil } from '@novamed-stream/service-kit';
import { DevstackError } from './errors.js';
import { readLogTail } from './log-tail.js';

/** How to run one of the system's services as a child process. */
export interface ServiceSpec {
  /** Display name, e.g. `ingress`. */
  name: string;
  /** Entry file relative to the repo root, e.g. `services/ingress/src/main.ts`. */
  entry: string;
  env: Record<string, string>;
  /** Polled until it answers 200: the service is ready. */
  readyUrl: string;
  /** stdout and stderr go here (JSON log lines). */
  logFile: string;
  /** How long to wait for `readyUrl`; default 60 s. */
  readyTimeoutMs?: number;
}

/**
 * A service run as a child process (of `novamed-stream up`, a reliability scenario, a test's
 * `startSystem()`): one node process (tsx as a loader, so signals reach
 * the service itself), logs to a file, ready when its health URL answers 200, stopped with
 * SIGTERM (then SIGKILL after a grace period).
 */
export class ServiceProcess {
  /** Every exit of a process it started, in order (a service started again has several). */
  readonly exits: Array<{ code: number | null; signal: NodeJS.Signals | null }> = [];
  #child: ChildProcess | undefined;
  /** Settles when the current process has exited and its output is all in the log. */
  #closed: Promise<void> = Promise.resolve();
  #log: WriteStream | undefined;
  #exited = false;

  constructor(
    readonly spec: ServiceSpec,
    private readonly repoRoot: string,
  ) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** False once the process has exited. */
  get running(): boolean {
    return this.#child !== undefined && !this.#exited;
  }

  get logFile(): string {
    return this.spec.logFile;
  }

  /** Starts a process (again, after the previous one exited) and waits until it is ready. */
  async start(): Promise<void> {
    await mkdir(dirname(this.spec.logFile), { recursive: true });
    this.#log = createWriteStream(this.spec.logFile, { flags: 'a' });
    const child = spawn(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        '--conditions=source',
        join(this.repoRoot, this.spec.entry),
      ],
      {
        cwd: this.repoRoot,
        env: { ...process.env, ...this.spec.env },
        // An IPC channel too: the service stops by itself when this process is gone, however it
        // ended (see its main).
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Its own process group: the terminal's Ctrl-C reaches `up`, which stops services in order.
        detached: true,
      },
    );
    this.#child = child;
    child.channel?.unref();
    this.#exited = false;
    this.#closed = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    child.once('exit', (code, signal) => {
      this.#exited = true;
      this.exits.push({ code, signal });
    });
    const ready = await pollUntil(
      async () => {
        if (this.#exited) return { status: 'stop', reason: 'exited while starting' };
        const response = await fetch(this.spec.readyUrl, { signal: AbortSignal.timeout(1000) });
        return response.ok
          ? { status: 'done', value: true }
          : { status: 'wait', reason: `answered ${response.status}` };
      },
      { timeoutMs: this.spec.readyTimeoutMs ?? 60_000, intervalMs: 250 },
    );
    if (ready.ok) return;
    const reason =
      ready.reason === 'STOPPED'
        ? 'exited while starting'
        : `was not ready at ${this.spec.readyUrl} in time`;
    await this.kill();
    throw new DevstackError(
      `${this.spec.name} ${reason}. Last lines of ${this.spec.logFile}:\n${await readLogTail(this.spec.logFile)}`,
      { hint: `Read the log above; check the ports and variables in README.md.` },
    );
  }

  /**
   * SIGTERM, wait up to `graceMs` for a clean exit, then SIGKILL. Resolves with the exit code
   * (null when a signal ended it).
   */
  stop(graceMs = 15_000): Promise<number | null> {
    return this.#end('SIGTERM', graceMs);
  }

  /** SIGKILL and wait for the exit. */
  kill(): Promise<number | null> {
    return this.#end('SIGKILL', 0);
  }

  async #end(signal: NodeJS.Signals, graceMs: number): Promise<number | null> {
    const child = this.#child;
    if (child && !this.#exited) {
      child.kill(signal);
      const timer = graceMs > 0 ? setTimeout(() => child.kill('SIGKILL'), graceMs) : undefined;
      await this.#closed;
      clearTimeout(timer);
    }
    await this.#closed;
    await this.#closeLog();
    return this.exits.at(-1)?.code ?? null;
  }

  #closeLog(): Promise<void> {
    const log = this.#log;
    this.#log = undefined;
    return new Promise((resolve) => (log ? log.end(() => resolve()) : resolve()));
  }
}
