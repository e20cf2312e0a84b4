import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findFreePorts } from '@novamed-stream/devstack';

/** A running ingress child process. */
export interface IngressProcess {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Options of {@link startIngress}. */
export interface StartIngressOptions {
  brokers: readonly string[];
  apiKey: string;
  eventsTopic: string;
  quarantineTopic: string;
  readyTimeoutMs: number;
}

const mainScript = fileURLToPath(new URL('../../services/ingress/src/main.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts the real ingress (`services/ingress/src/main.ts`) as its own process, as deployed,
 * and resolves once `/readyz` answers 200. Rejects (after stopping it) when it exits or is not
 * ready in time.
 */
export async function startIngress(options: StartIngressOptions): Promise<IngressProcess> {
  const [port] = await findFreePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', mainScript], {
    cwd: repoRoot,
    env: {
      ...process.env,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      PORT: String(port),
      HOST: '127.0.0.1',
      WEBHOOK_API_KEYS: options.apiKey,
      KAFKA_BROKERS: options.brokers.join(','),
      EVENTS_TOPIC: options.eventsTopic,
      QUARANTINE_TOPIC: options.quarantineTopic,
      TOPIC_PARTITIONS: '6',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const stop = () => stopChild(child);
  const deadline = Date.now() + options.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`ingress exited with ${child.exitCode}: ${stderr.trim()}`);
    }
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return { url, pid: child.pid, stop };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`ingress not ready after ${options.readyTimeoutMs} ms: ${stderr.trim()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(force);
}
