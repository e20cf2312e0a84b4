import { type Kafka, Partitioners } from 'kafkajs';
import { type IngressEnvelope, ingressMessage } from './ingress-message.js';

/** One event to append: its exact JSON body, and its parsed envelope when the caller has it. */
export interface EventToAppend {
  body: string | Buffer;
  event?: IngressEnvelope;
}

/**
 * Appends events to `topic` exactly as the ingress does (same key, headers and raw bytes, see
 * {@link ingressMessage}), through an idempotent producer with acks=all like the ingress's
 * appender, in batches of 1000, in the given order: for tests and benchmarks of the consumers
 * that skip HTTP.
 */
export async function appendAsIngress(
  kafka: Kafka,
  topic: string,
  events: readonly EventToAppend[],
  receivedAt: Date = new Date(),
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
        messages: events.slice(i, i + 1000).map((e) => ingressMessage(e.body, receivedAt, e.event)),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
