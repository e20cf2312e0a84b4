import { createTestDatabase, createTestTopic, testKafka } from '@novamed-stream/testkit';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

describe('createTestTopic', () => {
  it('creates a new topic with the requested partitions, each with a leader', async () => {
    const [first, second] = await Promise.all([
      createTestTopic({ prefix: 'helpers', partitions: 4 }),
      createTestTopic({ prefix: 'helpers' }),
    ]);
    expect(first).not.toBe(second);
    const admin = testKafka('helpers').admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [first, second] });
      const partitions = new Map(topics.map((topic) => [topic.name, topic.partitions.length]));
      expect(partitions).toEqual(
        new Map([
          [first, 4],
          [second, 1],
        ]),
      );
      const leaders = topics.flatMap((topic) => topic.partitions.map((p) => p.leader));
      expect(leaders.every((leader) => leader >= 0)).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('createTestDatabase', () => {
  it('gives an isolated database that drop() removes', async () => {
    const database = await createTestDatabase('helpers');
    const client = new pg.Client({ connectionString: database.url });
    // The forced drop terminates this connection; that is expected here.
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    expect(rows[0]?.db).toBe(database.name);
    // drop() works even while a connection is still open.
    await database.drop();
    await client.end().catch(() => undefined);

    const gone = new pg.Client({ connectionString: database.url });
    await expect(gone.connect()).rejects.toMatchObject({ code: '3D000' });
    await gone.end().catch(() => undefined);
  });
});
