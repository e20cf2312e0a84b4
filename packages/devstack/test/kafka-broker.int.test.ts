import { readFile } from 'node:fs/promises';
import type { KafkaBroker, PostgresServer } from '@novamed-stream/devstack';
import { ensureTopic } from '@novamed-stream/devstack';
import { startDedicatedBroker, startDedicatedPostgres, uniqueName } from '@novamed-stream/testkit';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function groupByKey(messages: { key: string; value: string }[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { key, value } of messages) groups.set(key, [...(groups.get(key) ?? []), value]);
  return groups;
}

describe('KafkaBroker survives a crash', () => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startDedicatedBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('keeps every acknowledged message, in order per key, across SIGKILL and restart', async () => {
    const topic = uniqueName('crash');
    await ensureTopic({ brokers: broker.brokers, topic, partitions: 3 });
    const kafka = new Kafka({
      clientId: 'crash-test',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
    });

    const sent = Array.from({ length: 300 }, (_, i) => ({
      key: `order-${i % 7}`,
      value: JSON.stringify({ seq: i }),
    }));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < sent.length; i += 50) {
      // acks -1: acknowledged only once written to every in-sync replica (here: the log).
      await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 50) });
    }
    await producer.disconnect();

    const crashedPid = broker.pid as number;
    await broker.kill();
    expect(isAlive(crashedPid)).toBe(false);
    await broker.restart();
    expect(broker.pid).toBeDefined();
    expect(broker.pid).not.toBe(crashedPid);
    const log = await readFile(broker.logFile, 'utf8');
    expect(log).toMatch(/Recovering unflushed segment/);

    const received: { key: string; value: string }[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('crash-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: String(message.key), value: String(message.value) });
          if (received.length >= sent.length) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();

    expect(received).toHaveLength(sent.length);
    // Every message back exactly once, and each key's messages in the order they were sent.
    expect(groupByKey(received)).toEqual(groupByKey(sent));
  });
});

describe('PostgresServer survives a crash', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startDedicatedPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps a committed row across SIGKILL and restart (WAL recovery)', async () => {
    const before = new pg.Client({ connectionString: server.url });
    await before.connect();
    await before.query('CREATE TABLE orders (id text PRIMARY KEY, status text NOT NULL)');
    await before.query("INSERT INTO orders VALUES ('ord_1', 'shipped')");
    await before.end();

    const crashedPid = server.pid as number;
    await server.kill();
    expect(isAlive(crashedPid)).toBe(false);
    const down = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2000 });
    await expect(down.connect()).rejects.toThrow();

    await server.restart();
    const after = new pg.Client({ connectionString: server.url });
    await after.connect();
    const { rows } = await after.query('SELECT id, status FROM orders');
    await after.end();
    expect(rows).toEqual([{ id: 'ord_1', status: 'shipped' }]);
    const log = await readFile(server.logFile, 'utf8');
    expect(log).toContain('automatic recovery in progress');
  });
});
