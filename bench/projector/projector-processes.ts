import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildConfig, ChildMessage, ChildStats } from './projector-child.js';

const childScript = fileURLToPath(new URL('./projector-child.ts', import.meta.url));

/** A projector running in its own process. */
export class ProjectorProcess {
  readonly name: string;
  /** Wall-clock ms of its first batch, once known. */
  startedAt: number | undefined;
  /** Wall-clock ms when it reached the ends, once known. */
  doneAt: number | undefined;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(message: ChildMessage) => void>();
  private exitError: Error | undefined;

  private constructor(
    config: ChildConfig,
    hooks: { started?: () => void; done?: () => void },
    cpuProfileDir: string | undefined,
  ) {
    this.name = config.projector;
    this.child = fork(childScript, [JSON.stringify(config)], {
      execArgv: [
        '--import',
        'tsx',
        '--conditions=source',
        ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []),
      ],
      env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: ChildMessage) => {
      if (message.type === 'started') {
        this.startedAt = message.at;
        hooks.started?.();
      } else if (message.type === 'done') {
        this.doneAt = message.at;
        hooks.done?.();
      }
      for (const listener of this.listeners) listener(message);
    });
    this.child.on('exit', (code, signal) => {
      this.exitError = new Error(`projector ${this.name} exited (${code ?? signal})`);
      for (const listener of this.listeners)
        listener({ type: 'failed', error: this.exitError.message });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Forks the process (its pid is known at once); see {@link ready}. */
  static spawn(
    config: ChildConfig,
    hooks: { started?: () => void; done?: () => void } = {},
    cpuProfileDir?: string,
  ): ProjectorProcess {
    return new ProjectorProcess(config, hooks, cpuProfileDir);
  }

  /** Resolves once its consumer runs. */
  async ready(timeoutMs = 120_000): Promise<void> {
    await this.next((m) => m.type === 'running', timeoutMs);
  }

  /** Resolves when it reached the ends it was given. */
  async untilDone(timeoutMs: number): Promise<void> {
    if (this.doneAt !== undefined) return;
    await this.next((m) => m.type === 'done', timeoutMs);
  }

  /** Stops the projector (leaves the group) and returns its counters. */
  async stop(): Promise<ChildStats | undefined> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return undefined;
    const stats = this.next((m) => m.type === 'stats', 30_000);
    this.child.send({ type: 'stop' });
    try {
      const message = await stats;
      return message.type === 'stats' ? message.stats : undefined;
    } finally {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      const force = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      if (this.child.exitCode === null && this.child.signalCode === null) await exited;
      clearTimeout(force);
    }
  }

  private next(match: (m: ChildMessage) => boolean, timeoutMs: number): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      if (this.exitError) {
        reject(this.exitError);
        return;
      }
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`projector ${this.name}: timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (message: ChildMessage) => {
        if (message.type === 'failed') {
          clearTimeout(timer);
          this.listeners.delete(listener);
          reject(new Error(`projector ${this.name} failed: ${message.error}`));
        } else if (match(message)) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(message);
        }
      };
      this.listeners.add(listener);
    });
  }
}

/** Seconds from the first process's first batch to the last one's end. */
export function spanSeconds(processes: readonly ProjectorProcess[]): number {
  const end = Math.max(...processes.map((p) => p.doneAt ?? Number.NaN));
  const start = Math.min(...processes.map((p) => p.startedAt ?? Number.NaN));
  return (end - start) / 1000;
}
