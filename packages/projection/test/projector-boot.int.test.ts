import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import { ordersProjector } from '@novamed-stream/projectors';
import {
  createTestDatabase,
  createTestTopic,
  orderJourneys,
  startDedicatedPostgres,
  testKafka,
  testStack,
} from '@novamed-stream/testkit';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createProjector,
  ensureVersionTables,
  readProjectorServiceEnv,
  runProjectorService,
} from '../src/index.js';
import { toKafkaMessage } from './fixtures.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
});

async function until(check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}

const applied = async (db: Kysely<Database>) =>
  Number(
    (await sql<{ n: string }>`select count(*) as n from orders_v1.order_events`.execute(db)).rows[0]
      ?.n,
  );

async function topicWith(prefix: string, count: number) {
  const topic = await createTestTopic({ prefix, partitions: 2 });
  const events = orderJourneys({ runId: prefix, count: count, seed: 5 });
  const producer = testKafka(prefix).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: events.map(toKafkaMessage) });
  await producer.disconnect();
  return { topic, events };
}

describe('projector boot and recovery', () => {
  it('waits for a database that is down at boot, then starts by itself', async () => {
    const { topic, events } = await topicWith('boot-db-down', 300);
    const postgres = await startDedicatedPostgres();
    cleanups.push(() => postgres.stop());
    await postgres.kill();
    const config = readProjectorServiceEnv(
      {
        KAFKA_BROKERS: testStack().kafkaBrokers.join(','),
        DATABASE_URL: postgres.url,
        EVENTS_TOPIC: topic,
        DEAD_LETTER_TOPIC: `${topic}.dead`,
        TOPIC_PARTITIONS: '2',
        HEALTH_HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      },
      { HEALTH_PORT: 0 },
    );
    let settled = false;
    const booting = runProjectorService(ordersProjector, config).finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 2000));
    expect(settled, 'it must wait, not exit').toBe(false);
    await postgres.start();
    const service = await booting;
    cleanups.unshift(() => service.stop());
    const db = createDb({ connectionString: postgres.url });
    cleanups.unshift(() => db.destroy());
    await until(async () => (await applied(db)) === events.length);
    expect(await applied(db)).toBe(events.length);
  });

  it('fails at once when the error is not an outage (a database that does not exist)', async () => {
    const database = await createTestDatabase('boot-missing');
    await database.drop();
    const config = readProjectorServiceEnv(
      {
        KAFKA_BROKERS: 'localhost:1',
        DATABASE_URL: database.url,
        HEALTH_HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      },
      { HEALTH_PORT: 0 },
    );
    const started = Date.now();
    await expect(runProjectorService(ordersProjector, config)).rejects.toThrow(/does not exist/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a new, empty database replays from the log start even though the group committed offsets', async () => {
    const { topic, events } = await topicWith('boot-fresh-db', 400);
    const kafka = testKafka('boot-fresh');
    const groupId = `g-${topic}`;
    const databases = [];
    for (const name of ['boot_first', 'boot_fresh']) {
      const database = await createTestDatabase(name);
      cleanups.push(() => database.drop());
      const db = createDb({ connectionString: database.url });
      cleanups.unshift(() => db.destroy());
      expect((await migrateToLatest(db)).ok).toBe(true);
      await ensureVersionTables(db, ordersProjector, 1);
      databases.push(db);
    }
    const [first, fresh] = databases as [Kysely<Database>, Kysely<Database>];
    const options = { definition: ordersProjector, version: 1, kafka, topic, groupId } as const;
    const one = createProjector({ ...options, db: first, deadLetterTopic: null });
    await one.start();
    await until(async () => (await applied(first)) === events.length);
    await one.stop();
    // stop() committed the applied positions to Kafka (they are committed in the background,
    // coalesced, while running): the group's offsets sit at the end of the topic.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      expect(
        committed?.partitions.map((p) => p.offset).sort(),
        'committed offsets after stop',
      ).toEqual(ends.map((e) => e.high).sort());
    } finally {
      await admin.disconnect();
    }
    // The same group on an empty database (a new or restored one), and no new event arrives.
    const two = createProjector({ ...options, db: fresh, deadLetterTopic: null });
    await two.start();
    try {
      await until(async () => (await applied(fresh)) === events.length, 30_000);
    } finally {
      await two.stop();
    }
    expect(await applied(fresh)).toBe(events.length);
  });

  it('replaces a consumer that kafkajs gave up on (a crash it does not restart)', async () => {
    const { topic, events } = await topicWith('crash-replace', 300);
    const database = await createTestDatabase('crash_replace');
    cleanups.push(() => database.drop());
    const db = createDb({ connectionString: database.url });
    cleanups.unshift(() => db.destroy());
    expect((await migrateToLatest(db)).ok).toBe(true);
    await ensureVersionTables(db, ordersProjector, 1);
    let thrown = 0;
    const projector = createProjector({
      definition: ordersProjector,
      version: 1,
      kafka: testKafka('crash-replace', { logLevel: 0 }),
      db,
      topic,
      groupId: `g-${topic}`,
      deadLetterTopic: null,
      maxBytesPerPartition: 4096,
      // A TypeError out of eachBatch is "unrecoverable" to kafkajs: it crashes the consumer
      // and does NOT restart it (other errors are retried, then restarted).
      onBatch: () => {
        if (thrown++ === 0) throw new TypeError('boom');
      },
    });
    await projector.start();
    try {
      await until(async () => (await applied(db)) === events.length, 60_000);
    } finally {
      await projector.stop();
    }
    expect(thrown).toBeGreaterThan(1);
    expect(await applied(db)).toBe(events.length);
  });

  it('a database whose analytics views older code made gets the current views at start', async () => {
    const topic = await createTestTopic({ prefix: 'boot-views', partitions: 1 });
    const database = await createTestDatabase('boot_views');
    cleanups.push(() => database.drop());
    const db = createDb({ connectionString: database.url });
    cleanups.unshift(() => db.destroy());
    const config = readProjectorServiceEnv(
      {
        KAFKA_BROKERS: testStack().kafkaBrokers.join(','),
        DATABASE_URL: database.url,
        EVENTS_TOPIC: topic,
        DEAD_LETTER_TOPIC: `${topic}.dead`,
        TOPIC_PARTITIONS: '1',
        HEALTH_HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      },
      { HEALTH_PORT: 0 },
    );
    const first = await runProjectorService(ordersProjector, config);
    await first.stop();
    // What a database built before the de-identified tier looks like: analytics.orders shows
    // the patient id, and analytics_reader may not read it.
    await sql`drop view analytics.orders`.execute(db);
    await sql`create view analytics.orders as select order_id, patient_id from orders_v1.orders`.execute(
      db,
    );
    const columns = async () =>
      (
        await sql<{ column_name: string }>`select column_name from information_schema.columns
          where table_schema = 'analytics' and table_name = 'orders'`.execute(db)
      ).rows.map((r) => r.column_name);
    expect(await columns()).toContain('patient_id');

    const second = await runProjectorService(ordersProjector, config);
    cleanups.unshift(() => second.stop());
    expect(await columns()).not.toContain('patient_id');
    expect(await columns()).toContain('patient_pseudonym');
    const granted = await sql<{ ok: boolean }>`select has_table_privilege('analytics_reader',
      'analytics.orders', 'select') as ok`.execute(db);
    expect(granted.rows[0]?.ok).toBe(true);
  });
});
