import { eventHeaders, routingKey } from '@novamed-stream/events';
import { type Kafka, Partitioners } from 'kafkajs';
import type { CanaryEvent } from './canary.js';

/**
 * Appends events to `topic` exactly as the ingress does (key = routing key, the raw body, the
 * same headers), straight through an idempotent producer: for scenarios about the consumers.
 */
export async function appendEvents(
  kafka: Kafka,
  topic: string,
  events: readonly CanaryEvent[],
): Promise<void> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += 1000) {
      await producer.send({
        topic,
        acks: -1,
        messages: events.slice(i, i + 1000).map((e) => ({
          key: routingKey(e.event),
          value: e.body,
          headers: eventHeaders(e.event, new Date()),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
