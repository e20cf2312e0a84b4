import { join } from 'node:path';
import { ensureTopic, isPortFree, type RunningStack, startStack } from '@novamed-stream/devstack';
import { processesUsing, testStack, uniqueName } from '@novamed-stream/testkit';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A base port whose whole layout (base, base + 1, each + 100 and + 200) is free, below Linux's
 * ephemeral range (32768-60999), where other tests' client connections take ports at any moment
 * (a free base with a taken base + 100 flaked in CI).
 */
async function freeClusterBase(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * 5_000);
    const layout = [0, 1, 100, 101, 200, 201].map((offset) => base + offset);
    const free = await Promise.all(layout.map((port) => isPortFree(port)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port layout for three Kafka nodes');
}

describe('startStack with kafkaBrokerCount 3', () => {
  let dataDir: string;
  let stack: RunningStack;
  let admin: Admin;

  beforeAll(async () => {
    dataDir = join(testStack().dataRoot, uniqueName('cluster_stack'));
    // Ports 100 apart, as `npm start` lays them out (KAFKA_PORT + 100 * (n - 1)); the shared
    // Postgres stands in for a local one (DATABASE_URL), so only the three nodes start.
    const base = await freeClusterBase();
    stack = await startStack({
      dataDir,
      databaseUrl: testStack().databaseUrl,
      kafkaBrokerCount: 3,
      kafkaHeap: { initial: '128m', max: '384m' },
      log: () => undefined,
      kafkaPort: base,
      kafkaControllerPort: base + 1,
    });
    admin = new Kafka({
      clientId: 'stack-cluster-test',
      brokers: stack.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await stack?.stop();
  });

  it('runs three nodes as one cluster and asks for RF 3 / min ISR 2 topics', async () => {
    expect(stack.kafkaNodes).toHaveLength(3);
    expect(stack.kafkaBrokers).toHaveLength(3);
    expect(stack.kafka).toBe(stack.kafkaNodes[0]);
    expect(stack.topicReplication).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    const described = await admin.describeCluster();
    expect(described.brokers.map((broker) => broker.nodeId).sort()).toEqual([1, 2, 3]);

    const topic = uniqueName('stack_cluster');
    await ensureTopic({
      brokers: stack.kafkaBrokers,
      topic,
      partitions: 2,
      ...stack.topicReplication,
    });
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(metadata?.partitions.map((p) => p.replicas.length)).toEqual([3, 3]);
    const [config] = (
      await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: 2,
            name: topic,
            configNames: ['min.insync.replicas', 'unclean.leader.election.enable'],
          },
        ],
      })
    ).resources;
    const values = Object.fromEntries(
      (config?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
    );
    expect(values).toEqual({
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'false',
    });
  });

  it('stops every node it started', async () => {
    const pids = stack.kafkaNodes.map((node) => node.pid);
    expect(pids.every((pid) => pid !== undefined)).toBe(true);
    await admin.disconnect();
    await stack.stop();
    expect(stack.kafkaNodes.every((node) => !node.running)).toBe(true);
    expect(processesUsing(dataDir)).toEqual([]);
  });
});
