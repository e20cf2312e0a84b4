import { describe, expect, it } from 'vitest';
import { ensureTopics, type TopicAdmin } from '../src/ensure-topics.js';

function fakeAdmin(existing: Record<string, { partitions: number; replicas: number }>) {
  const created: string[] = [];
  const admin: TopicAdmin = {
    async listTopics() {
      return Object.keys(existing);
    },
    async createTopics({ topics }) {
      created.push(
        ...topics.map(
          (topic) => `${topic.topic}/${topic.numPartitions}/${topic.replicationFactor}`,
        ),
      );
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
              replicas: Array.from({ length: shape.replicas }, (_, i) => i),
            })),
          };
        }),
      };
    },
  };
  return { admin, created };
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
  it('creates the missing topics with the configured shape', async () => {
    const { admin, created } = fakeAdmin({ events: { partitions: 6, replicas: 1 } });
    const log = capture();
    await expect(ensureTopics(admin, specs, log.logger)).resolves.toEqual([
      { topic: 'events', status: 'OK' },
      { topic: 'quarantine', status: 'CREATED' },
    ]);
    expect(created).toEqual(['quarantine/6/1']);
    expect(log.errors).toEqual([]);
  });

  it('reports and logs a partition count that differs, without changing the topic', async () => {
    const { admin, created } = fakeAdmin({
      events: { partitions: 3, replicas: 1 },
      quarantine: { partitions: 6, replicas: 1 },
    });
    const log = capture();
    const checks = await ensureTopics(admin, specs, log.logger);
    expect(checks[0]).toEqual({
      topic: 'events',
      status: 'MISMATCH',
      expected: { partitions: 6, replicationFactor: 1 },
      actual: { partitions: 3, replicationFactor: 1 },
    });
    expect(created).toEqual([]);
    expect(log.errors[0]).toContain('events has 3 partitions');
  });

  it('retries a retriable metadata error (a topic the broker does not list yet)', async () => {
    const { admin } = fakeAdmin({
      events: { partitions: 6, replicas: 1 },
      quarantine: { partitions: 6, replicas: 1 },
    });
    let failures = 1;
    const fetch = admin.fetchTopicMetadata.bind(admin);
    admin.fetchTopicMetadata = async (options) => {
      if (failures-- > 0) {
        throw Object.assign(new Error('This server does not host this topic-partition'), {
          retriable: true,
        });
      }
      return fetch(options);
    };
    const checks = await ensureTopics(admin, specs, capture().logger);
    expect(checks.map((check) => check.status)).toEqual(['OK', 'OK']);
  });

  it('gives up at once on a non-retriable error', async () => {
    const { admin } = fakeAdmin({ events: { partitions: 6, replicas: 1 } });
    admin.fetchTopicMetadata = async () => {
      throw Object.assign(new Error('denied'), { retriable: false });
    };
    await expect(ensureTopics(admin, specs, capture().logger)).rejects.toThrow('denied');
  });
});
