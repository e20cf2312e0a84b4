// A downstream consumer in ten lines: logs every shipped order once, with its carrier.
// Run it against the local stack: KAFKA_BROKERS=127.0.0.1:9092 npm run example -w @novamed-stream/consumer
import { createEventConsumer } from '@novamed-stream/consumer';
import { Kafka } from 'kafkajs';

const kafka = new Kafka({
  clientId: 'shipping-notifier',
  brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
});
const consumer = createEventConsumer({
  kafka,
  groupId: 'shipping-notifier',
  topic: process.env['EVENTS_TOPIC'], // default novamed.events.v1
  onEvent(event) {
    if (event.event_type === 'order:shipped')
      console.log(
        `order ${event.data.order_id} shipped with ${event.data.carrier} (${event.data.tracking_number})`,
      );
  },
});
await consumer.start();
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => void consumer.stop().then(() => process.exit(0)));
