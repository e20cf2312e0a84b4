import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { guideSample } from '@novamed-stream/events';
import {
  createTestTopic,
  ingressMessage,
  testKafka,
  testStack,
  uniqueName,
} from '@novamed-stream/testkit';
import { describe, expect, it } from 'vitest';
import { createEventConsumer } from '../src/index.js';

const shipped = JSON.parse(guideSample('orderShipped').toString()) as {
  event_type: string;
  event_id: string;
  timestamp: string;
  clinic_id: string;
  data: Record<string, unknown>;
};
const approved = JSON.parse(guideSample('medicationRequestApproved').toString()) as typeof shipped;

async function produce(topic: string, values: Buffer[]) {
  const producer = testKafka('consumer-test').producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: values.map((value) => {
      try {
        return ingressMessage(value);
      } catch {
        // Not JSON: no key or headers to derive (the ingress would have refused it).
        return { key: null, value };
      }
    }),
  });
  await producer.disconnect();
}

async function until(check: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a downstream consumer on a real broker', () => {
  it('gets every event once, typed, and is told about the rest', async () => {
    const topic = await createTestTopic({ prefix: 'consumer', partitions: 2 });
    const returned = Buffer.from(
      JSON.stringify({ ...shipped, event_type: 'order:returned', event_id: 'evt_returned' }),
    );
    await produce(topic, [
      guideSample('orderShipped'),
      guideSample('medicationRequestApproved'),
      guideSample('orderShipped'), // NovaMed redelivered it
      returned,
      Buffer.from('{"truncated":'),
    ]);
    const carriers: string[] = [];
    const unknown: string[] = [];
    const invalid: string[] = [];
    const consumer = createEventConsumer({
      kafka: testKafka('consumer-test'),
      groupId: uniqueName('consumer_test'),
      topic,
      onEvent: (event) => {
        if (event.event_type === 'order:shipped') carriers.push(event.data.carrier);
        else carriers.push(event.event_type);
      },
      onUnknownType: (envelope) => {
        unknown.push(envelope.event_type);
      },
      onInvalid: (message) => {
        invalid.push(message.reason);
      },
    });
    await consumer.start();
    try {
      await until(
        () =>
          consumer.stats.handled +
            consumer.stats.duplicates +
            consumer.stats.unknownTypes +
            consumer.stats.invalid ===
          5,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}: ${JSON.stringify(consumer.stats)}`);
    } finally {
      await consumer.stop();
    }
    expect(carriers.sort()).toEqual(['UPS', 'medication_request:approved']);
    expect(consumer.stats).toEqual({ handled: 2, duplicates: 1, unknownTypes: 1, invalid: 1 });
    expect(unknown).toEqual(['order:returned']);
    expect(invalid).toEqual(['INVALID_JSON']);
    expect(approved.event_id).toBe('evt_def456xyz');
  }, 90_000);

  it('the example consumer prints each shipped order once', async () => {
    const topic = await createTestTopic({ prefix: 'consumer-example', partitions: 1 });
    await produce(topic, [
      guideSample('orderShipped'),
      guideSample('orderShipped'),
      guideSample('medicationRequestApproved'),
    ]);
    const example = fileURLToPath(
      new URL('../examples/order-shipped-notifier.ts', import.meta.url),
    );
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), '--conditions=source', example],
      {
        env: {
          ...process.env,
          KAFKA_BROKERS: testStack().kafkaBrokers.join(','),
          EVENTS_TOPIC: topic,
          KAFKAJS_NO_PARTITIONER_WARNING: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    try {
      await until(() => stdout.includes('ord_12345'));
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    // kafkajs logs its own INFO lines to stdout too.
    expect(stdout.split('\n').filter((line) => line.startsWith('order '))).toEqual([
      'order ord_12345 shipped with UPS (1Z999AA10123456784)',
    ]);
  }, 60_000);
});
