import { describe, expect, it } from 'vitest';
import { ensureTopics, type TopicAdmin } from '../src/index.js';

function fakeAdmin(existing: Record<string, { partitions: number; replicas: number }>) {
  const created: string[] = [];
  const configs: Record<string, Record<string, string>> = {};
  const waits: Array<boolean | undefined> = [];
  const admin: TopicAdmin = {
    async listTopics() {
      return Object.keys(existing);
    },
    async createTopics({ topics, waitForLeaders }) {
      waits.push(waitForLeaders);
      for (const topic of topics) {
        created.push(`${topic.topic}/${topic.numPartitions}/${topic.replicationFactor}`);
        configs[topic.topic] = Object.fromEntries(
          (topic.configEntries ?? []).map((entry) => [entry.name, entry.value]),
        );
        existing[topic.topic] = {
          partitions: topic.numPartitions,
          replicas: topic.replicationFactor,
        };
      }
      return true;
    },
    async fetchTopicMetadata({ topics }) {
      return {
        topics: topics.map((name) => {
          const shape = existing[name] ?? { partitions: 0, replicas: 0 };
          return {
            name,
            partitions: Array.from({ length: shape.partitions }, (_, partitionId) => ({
              partitionId,
              leader: 0,
              replicas: Array.from({ length: shape.replicas }, (_, i) => i),
            })),
          };
        }),
      };
    },
  };
  return { admin, created, configs, waits };
}

function capture() {
  const errors: string[] = [];
  return {
    errors,
    logger: { info: () => undefined, error: (_: object, m: string) => errors.push(m) },
  };
}

const specs = [
  { topic: 'events', partitions: 6, replicationFactor: 1 },
  { topic: 'quarantine', partitions: 6, replicationFactor: 1 },
];

describe('ensureTopics', () => {
  it('creates the missing topics with the configured shape, without kafkajs waitForLeaders', async () => {
    const { admin, created, waits } = fakeAdmin({ events: { partitions: 6, replicas: 1 } });
    const log = capture();
    await expect(ensureTopics(admin, specs, { logger: log.logger })).resolves.toEqual([
      { topic: 'events', status: 'OK' },
      { topic: 'quarantine', status: 'CREATED' },
    ]);
    expect(created).toEqual(['quarantine/6/1']);
    expect(waits).toEqual([false]);
    expect(log.errors).toEqual([]);
  });

  it('creates topics with unclean leader election off and the spec min ISR; spec configs win', async () => {
    const { admin, configs } = fakeAdmin({});
    await ensureTopics(admin, [
      { topic: 'events', partitions: 6, replicationFactor: 3, minInsyncReplicas: 2 },
      { topic: 'plain', partitions: 1, replicationFactor: 1 },
      {
        topic: 'lenient',
        partitions: 1,
        replicationFactor: 3,
        config: { 'unclean.leader.election.enable': 'true', 'retention.ms': '-1' },
      },
    ]);
    expect(configs).toEqual({
      events: { 'unclean.leader.election.enable': 'false', 'min.insync.replicas': '2' },
      plain: { 'unclean.leader.election.enable': 'false' },
      lenient: { 'unclean.leader.election.enable': 'true', 'retention.ms': '-1' },
    });
  });

  it('reports and logs a partition count that differs, without changing the topic', async () => {
    const { admin, created } = fakeAdmin({
      events: { partitions: 3, replicas: 1 },
      quarantine: { partitions: 6, replicas: 1 },
    });
    const log = capture();
    const checks = await ensureTopics(admin, specs, { logger: log.logger });
    expect(checks[0]).toEqual({
      topic: 'events',
      status: 'MISMATCH',
      expected: { partitions: 6, replicationFactor: 1 },
      actual: { partitions: 3, replicationFactor: 1 },
    });
    expect(created).toEqual([]);
    expect(log.errors[0]).toContain('events has 3 partitions');
  });

  it('waits while the broker does not list a new topic yet or a partition has no leader (KRaft)', async () => {
    const { admin } = fakeAdmin({ events: { partitions: 6, replicas: 1 } });
    const fetch = admin.fetchTopicMetadata.bind(admin);
    let calls = 0;
    admin.fetchTopicMetadata = async (options) => {
      calls++;
      if (calls === 1) {
        throw Object.assign(new Error('This server does not host this topic-partition'), {
          retriable: true,
        });
      }
      const metadata = await fetch(options);
      if (calls === 2) for (const t of metadata.topics) for (const p of t.partitions) p.leader = -1;
      return metadata;
    };
    const checks = await ensureTopics(admin, specs, { logger: capture().logger });
    expect(checks.map((check) => check.status)).toEqual(['OK', 'CREATED']);
    expect(calls).toBe(3);
  });

  it('gives up at once on a non-retriable error', async () => {
    const { admin } = fakeAdmin({ events: { partitions: 6, replicas: 1 } });
    admin.fetchTopicMetadata = async () => {
      throw Object.assign(new Error('denied'), { retriable: false });
    };
    await expect(ensureTopics(admin, specs)).rejects.toThrow('denied');
  });

  it('gives up when leaders do not appear in time', async () => {
    const { admin } = fakeAdmin({ events: { partitions: 0, replicas: 1 } });
    await expect(ensureTopics(admin, specs.slice(0, 1), { timeoutMs: 300 })).rejects.toThrow(
      /no leaders after 300 ms: events: partitions without a leader/,
    );
  });
});
