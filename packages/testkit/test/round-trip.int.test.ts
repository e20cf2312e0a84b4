import {
  createTestDatabase,
  createTestTopic,
  testKafka,
  uniqueName,
} from '@novamed-stream/testkit';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { expect, it } from 'vitest';

interface ReceivedEventsTable {
  event_id: string;
  order_id: string;
  status: string;
  kafka_partition: number;
}

interface Database {
  received_events: ReceivedEventsTable;
}

it('carries events from Kafka (acks=all) through a consumer group into Postgres', async () => {
  const topic = await createTestTopic({ prefix: 'round_trip', partitions: 3 });
  const database = await createTestDatabase('round_trip');
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) }),
  });
  const kafka = testKafka('round-trip');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: uniqueName('round_trip') });

  try {
    await db.schema
      .createTable('received_events')
      .addColumn('event_id', 'text', (column) => column.primaryKey())
      .addColumn('order_id', 'text', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('kafka_partition', 'integer', (column) => column.notNull())
      .execute();

    const statuses = ['created', 'processing', 'shipped', 'delivered'];
    const events = Array.from({ length: 120 }, (_, i) => ({
      event_id: `evt_${String(i).padStart(4, '0')}`,
      order_id: `ord_${i % 10}`,
      status: statuses[i % statuses.length] as string,
    }));
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: events.map((event) => ({ key: event.order_id, value: JSON.stringify(event) })),
    });

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let stored = 0;
    const allStored = new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            const rows = batch.messages.map((message) => {
              const event = JSON.parse(String(message.value)) as Omit<
                ReceivedEventsTable,
                'kafka_partition'
              >;
              return { ...event, kafka_partition: batch.partition };
            });
            await db.insertInto('received_events').values(rows).execute();
            for (const message of batch.messages) resolveOffset(message.offset);
            await heartbeat();
            stored += rows.length;
            if (stored >= events.length) resolve();
          },
        })
        .catch(reject);
    });
    await allStored;

    const rows = await db.selectFrom('received_events').selectAll().orderBy('event_id').execute();
    expect(rows.map(({ kafka_partition: _, ...event }) => event)).toEqual(events);
    // The key decides the partition: one order's events never spread over partitions.
    const partitionsPerOrder = await db
      .selectFrom('received_events')
      .select(['order_id', sql<number>`count(distinct kafka_partition)::int`.as('partitions')])
      .groupBy('order_id')
      .execute();
    expect(partitionsPerOrder).toHaveLength(10);
    expect(partitionsPerOrder.every((row) => row.partitions === 1)).toBe(true);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await db.destroy();
    await database.drop();
  }
});
