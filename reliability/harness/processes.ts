import type { ServiceProcess } from '@novamed-stream/devstack';
import {
  type IngressProcess,
  type IngressProcessOptions,
  ingressProcess,
  projectorProcess as kitProjectorProcess,
  type ProjectorProcess,
  type ProjectorProcessOptions,
} from '@novamed-stream/testkit';

export type { IngressProcess, IngressProcessOptions, ProjectorProcessOptions, ServiceProcess };

/** Starts the real ingress (the testkit's, as `startSystem` runs it) and waits for its /readyz. */
export async function startIngressProcess(options: IngressProcessOptions): Promise<IngressProcess> {
  const ingress = await ingressProcess(options);
  await ingress.process.start();
  return ingress;
}

/**
 * A projector service process (not started yet: `start()` waits for its /healthz), with a short
 * Kafka session: a SIGKILLed member holds its partitions until its session times out.
 */
export function projectorProcess(options: ProjectorProcessOptions): Promise<ProjectorProcess> {
  return kitProjectorProcess({
    ...options,
    env: { KAFKA_SESSION_TIMEOUT_MS: '6000', ...options.env },
  });
}
