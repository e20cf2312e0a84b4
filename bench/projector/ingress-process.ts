import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingressProcess } from '@novamed-stream/testkit';

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

/**
 * Starts the real ingress (`services/ingress/src/main.ts`) as its own process, as deployed (the
 * testkit's `ingressProcess`, as tests and `up` run it; its log in a temp folder), and resolves
 * once `/readyz` answers 200. Rejects (after stopping it) when it exits or is not ready in time.
 */
export async function startIngress(options: StartIngressOptions): Promise<IngressProcess> {
  const ingress = await ingressProcess({
    brokers: options.brokers,
    apiKeys: [options.apiKey],
    eventsTopic: options.eventsTopic,
    quarantineTopic: options.quarantineTopic,
    logDir: await mkdtemp(join(tmpdir(), 'novamed-bench-ingress-')),
    readyTimeoutMs: options.readyTimeoutMs,
    // Warnings only: the bench measures the ingress, not its request logging.
    env: { LOG_LEVEL: 'warn' },
  });
  await ingress.process.start();
  return {
    url: ingress.url,
    pid: ingress.process.pid,
    stop: async () => {
      await ingress.process.stop();
    },
  };
}
