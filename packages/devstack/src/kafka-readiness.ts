import { Kafka, logLevel } from 'kafkajs';

/** Options for {@link waitForKafka}. */
export interface WaitForKafkaOptions {
  /** Give up after this long. Default 60 s. */
  timeoutMs?: number;
  /**
   * Also wait until the broker serves what a fresh one answers "coordinator loading" to: a
   * consumer group's coordinator and an idempotent producer's id. Default true.
   */
  coordinators?: boolean;
  /** Stop waiting early: resolve to the reason when this returns a string. */
  abortReason?: () => string | undefined;
}

/** How the wait ended: ready, or why not (the last client error or the abort reason). */
export type KafkaReadiness = { ok: true } | { ok: false; reason: string };

/**
 * Polls `brokers` until a client can connect and read the cluster metadata and (unless
 * disabled) a consumer group's coordinator is found and an idempotent producer gets its id.
 * A fresh broker creates its internal `__consumer_offsets` topic on the first FindCoordinator
 * request and answers "coordinator not available" until it is loaded, and answers the first
 * InitProducerId with "coordinator is loading" until it has a block of producer ids from the
 * controller. kafkajs retries both but logs them as errors; waiting here spares every client.
 */
export async function waitForKafka(
  brokers: readonly string[],
  options: WaitForKafkaOptions = {},
): Promise<KafkaReadiness> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const kafka = new Kafka({
    clientId: 'devstack-readiness',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  let lastError = 'no attempt finished';
  while (Date.now() < deadline) {
    const aborted = options.abortReason?.();
    if (aborted !== undefined) return { ok: false, reason: aborted };
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('the cluster reports no brokers yet');
      if (options.coordinators ?? true) {
        await admin.describeGroups(['devstack-readiness']);
        const producer = kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          // kafkajs refuses an idempotent producer without retries; the loop retries anyway.
          retry: { retries: 1, initialRetryTime: 100 },
        });
        try {
          await producer.connect();
        } finally {
          await producer.disconnect().catch(() => undefined);
        }
      }
      return { ok: true };
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { ok: false, reason: `not ready after ${options.timeoutMs ?? 60_000} ms: ${lastError}` };
}
