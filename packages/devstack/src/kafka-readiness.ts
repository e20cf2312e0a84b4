import { createKafka, pollUntil } from '@novamed-stream/service-kit';
import type { Kafka } from 'kafkajs';

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
  const timeoutMs = options.timeoutMs ?? 60_000;
  const kafka = createKafka({
    clientId: 'devstack-readiness',
    brokers,
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 5_000,
    retry: { retries: 0 },
  });
  const outcome = await pollUntil(
    async () => {
      const aborted = options.abortReason?.();
      if (aborted !== undefined) return { status: 'stop', reason: aborted };
      await serves(kafka, options.coordinators ?? true);
      return { status: 'done', value: true };
    },
    { timeoutMs, intervalMs: 250 },
  );
  if (outcome.ok) return { ok: true };
  return outcome.reason === 'STOPPED'
    ? { ok: false, reason: outcome.detail }
    : { ok: false, reason: `not ready after ${timeoutMs} ms: ${outcome.detail}` };
}

/** Throws unless the cluster answers metadata and (with `coordinators`) group and producer ids. */
async function serves(kafka: Kafka, coordinators: boolean): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('the cluster reports no brokers yet');
    if (!coordinators) return;
    await admin.describeGroups(['devstack-readiness']);
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // kafkajs refuses an idempotent producer without retries; the poll retries anyway.
      retry: { retries: 1, initialRetryTime: 100 },
    });
    try {
      await producer.connect();
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
