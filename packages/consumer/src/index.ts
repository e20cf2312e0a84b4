export {
  type DecodedMessage,
  decodeMessage,
  type EventContext,
  type MessageLike,
} from './decode-message.js';
export {
  createEventConsumer,
  type EventConsumer,
  type EventConsumerOptions,
  type EventConsumerStats,
  type EventHandlers,
  type HandleOutcome,
  handleMessage,
  type InvalidMessage,
} from './event-consumer.js';
export { type EventIdDedup, InMemoryEventIdDedup } from './event-id-dedup.js';
