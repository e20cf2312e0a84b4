import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ensureTopic,
  findFreePorts,
  KafkaCluster,
  resolveKafkaJars,
} from '@novamed-stream/devstack';
import { pollUntil } from '@novamed-stream/service-kit';
import { testStack, uniqueName } from '@novamed-stream/testkit';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

async function partitionState(admin: Admin, topic: string) {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0]?.partitions ?? [];
}

/** Polls until every partition of `topic` has `size` in-sync replicas and a leader. */
async function waitForIsr(admin: Admin, topic: string, size: number): Promise<void> {
  const outcome = await pollUntil(
    async () => {
      const partitions = await partitionState(admin, topic);
      return partitions.length > 0 && partitions.every((p) => p.isr.length === size && p.leader > 0)
        ? { status: 'done', value: true }
        : { status: 'wait', reason: JSON.stringify(partitions) };
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  if (!outcome.ok) throw new Error(`ISR of ${topic} never reached ${size}: ${outcome.detail}`);
}

describe('KafkaCluster: three KRaft nodes on one machine', () => {
  let cluster: KafkaCluster;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    const stack = testStack();
    const libDir = stack.kafkaLibDir ?? (await resolveKafkaJars());
    const ports = await findFreePorts(6);
    cluster = new KafkaCluster({
      dataDir: await mkdtemp(join(stack.dataRoot, 'kafka-cluster-')),
      nodes: [0, 2, 4].map((i) => ({
        port: ports[i] as number,
        controllerPort: ports[i + 1] as number,
      })),
      libDir,
      heap: { initial: '128m', max: '384m' },
    });
    await cluster.start();
    kafka = new Kafka({
      clientId: 'cluster-test',
      brokers: cluster.brokers,
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.stop();
  });

  it('runs three brokers that share one cluster id, with RF 3 / min ISR 2 defaults', async () => {
    const described = await admin.describeCluster();
    expect(described.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    expect(cluster.replicationFactor).toBe(3);
    expect(cluster.minInsyncReplicas).toBe(2);
    const ids = await Promise.all(
      cluster.nodes.map(async (node) => {
        const meta = await readFile(join(node.dataDir, 'logs', 'meta.properties'), 'utf8');
        return /cluster\.id=(.+)/.exec(meta)?.[1];
      }),
    );
    expect(new Set(ids)).toEqual(new Set([cluster.clusterId]));
  });

  it('keeps every acks=all write when the leader is SIGKILLed, and refuses writes with 2 of 3 down', async () => {
    const topic = uniqueName('cluster');
    await ensureTopic({ brokers: cluster.brokers, topic, partitions: 1, replicationFactor: 3 });
    await waitForIsr(admin, topic, 3);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent: string[] = [];
    const send = async (count: number) => {
      const values = Array.from({ length: count }, (_, i) => `m-${sent.length + i}`);
      await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
      sent.push(...values);
    };
    await send(100);

    const [before] = await partitionState(admin, topic);
    const leader = before?.leader as number;
    await cluster.node(leader).kill();
    // Acknowledged writes continue on the two survivors (min ISR 2 is still met).
    await send(100);
    const [after] = await partitionState(admin, topic);
    expect(after?.leader).not.toBe(leader);
    await cluster.startNode(leader);
    await waitForIsr(admin, topic, 3);
    await producer.disconnect();

    // Two of three down: no quorum and no second in-sync copy, so acks=all must fail.
    const survivor = after?.leader as number;
    const down = [1, 2, 3].filter((id) => id !== survivor);
    await Promise.all(down.map((id) => cluster.node(id).kill()));
    const lonely = new Kafka({
      clientId: 'cluster-test-lonely',
      brokers: cluster.node(survivor).brokers,
      logLevel: logLevel.NOTHING,
    }).producer({ retry: { retries: 0 } });
    await lonely.connect();
    await expect(
      lonely.send({ topic, acks: -1, timeout: 3_000, messages: [{ value: 'never' }] }),
    ).rejects.toThrow();
    await lonely.disconnect().catch(() => undefined);

    // One node back: a quorum (2 of 3) and min ISR 2 again, so writes are accepted again.
    await cluster.startNode(down[0] as number);
    const recovered = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await recovered.connect();
    // The controller first fences the node still down and takes it out of the ISR.
    const accepted = await pollUntil(
      async () => {
        await recovered.send({ topic, acks: -1, messages: [{ value: 'after' }] });
        return { status: 'done', value: true };
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await recovered.disconnect();
    expect(accepted.ok).toBe(true);
    await cluster.startNode(down[1] as number);

    const received: string[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('cluster-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const expected = [...sent, 'after'];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push(String(message.value));
          if (received.at(-1) === 'after') resolve();
        },
      });
    });
    await consumer.disconnect();
    // Every acknowledged message once, in order. The refused write may still be on the
    // survivor's log (refused means "not known to be durable", not "not written"): at most once.
    expect(received.filter((value) => value !== 'never')).toEqual(expected);
    expect(received.filter((value) => value === 'never').length).toBeLessThanOrEqual(1);
  });
});
