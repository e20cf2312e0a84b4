import { type Envelope, EVENTS_TOPIC, type NovaMedEvent } from '@novamed-stream/events';
import type { Consumer, ConsumerConfig } from 'kafkajs';
import {
  type DecodedMessage,
  decodeMessage,
  type EventContext,
  type MessageLike,
} from './decode-message.js';
import { type EventIdDedup, InMemoryEventIdDedup } from './event-id-dedup.js';

/** A message that could not be used, as {@link EventHandlers.onInvalid} gets it. */
export type InvalidMessage = Extract<DecodedMessage, { errors: string[] }>;

/** What to do with each message. */
export interface EventHandlers {
  /**
   * Called once per new event (redeliveries are skipped by the dedup). Throwing stops the
   * consumer from committing past this message: it is retried (at least once).
   */
  onEvent(event: NovaMedEvent, context: EventContext): void | Promise<void>;
  /** An event type this release does not know (NovaMed added one). Default: skip it. */
  onUnknownType?(envelope: Envelope, context: EventContext): void | Promise<void>;
  /** A message that is not a usable event. Default: skip it. */
  onInvalid?(message: InvalidMessage, context: EventContext): void | Promise<void>;
}

/** What {@link handleMessage} did. */
export type HandleOutcome = 'HANDLED' | 'DUPLICATE' | 'UNKNOWN_TYPE' | 'INVALID';

/**
 * Decodes one message and dispatches it: a new event to `onEvent` (then remembered by the
 * dedup), a repeated event_id nowhere, the rest to `onUnknownType` / `onInvalid`.
 */
export async function handleMessage(
  message: MessageLike,
  source: { topic: string; partition: number },
  handlers: EventHandlers,
  dedup: EventIdDedup | null,
): Promise<HandleOutcome> {
  const decoded = decodeMessage(message, source);
  if (decoded.ok) {
    const id = decoded.event.event_id;
    if (dedup && (await dedup.has(id))) return 'DUPLICATE';
    await handlers.onEvent(decoded.event, decoded.context);
    await dedup?.add(id);
    return 'HANDLED';
  }
  if (decoded.reason === 'UNKNOWN_EVENT_TYPE') {
    await handlers.onUnknownType?.(decoded.envelope, decoded.context);
    return 'UNKNOWN_TYPE';
  }
  await handlers.onInvalid?.(decoded, decoded.context);
  return 'INVALID';
}

/** Options of {@link createEventConsumer}. */
export interface EventConsumerOptions extends EventHandlers {
  /** A kafkajs client (only its `consumer()` is used). */
  kafka: { consumer(config: ConsumerConfig): Consumer };
  /** Your consumer group: one per service; every instance of the service uses the same. */
  groupId: string;
  /** Default `novamed.events.v1`. */
  topic?: string | undefined;
  /** Where a group without committed offsets starts: the beginning (default) or the end. */
  fromBeginning?: boolean;
  /** Default: an in-memory dedup of the last 100,000 event_ids; `false`: none. */
  dedup?: EventIdDedup | false;
  /** Partitions handled in parallel (order is kept within a partition); default 1. */
  partitionsConsumedConcurrently?: number;
  /** Other kafkajs consumer settings. */
  consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
}

/** Counts of what a consumer did. */
export interface EventConsumerStats {
  handled: number;
  duplicates: number;
  unknownTypes: number;
  invalid: number;
}

/** A running subscription. */
export interface EventConsumer {
  /** Joins the group and starts handling messages. */
  start(): Promise<void>;
  /** Leaves the group after the message in progress. */
  stop(): Promise<void>;
  readonly stats: Readonly<EventConsumerStats>;
}

/**
 * Subscribes a consumer group to the events topic with typed, validated events: each message
 * is decoded ({@link decodeMessage}), repeats of an event_id are skipped, and offsets are
 * committed only after the handler returned (at least once; per-key order within a partition).
 */
export function createEventConsumer(options: EventConsumerOptions): EventConsumer {
  const topic = options.topic ?? EVENTS_TOPIC;
  const dedup = options.dedup === false ? null : (options.dedup ?? new InMemoryEventIdDedup());
  const stats: EventConsumerStats = { handled: 0, duplicates: 0, unknownTypes: 0, invalid: 0 };
  let consumer: Consumer | undefined;
  return {
    stats,
    async start() {
      if (consumer) return;
      consumer = options.kafka.consumer({
        allowAutoTopicCreation: false,
        ...options.consumerConfig,
        groupId: options.groupId,
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachMessage: async ({ topic: from, partition, message }) => {
          const outcome = await handleMessage(message, { topic: from, partition }, options, dedup);
          switch (outcome) {
            case 'HANDLED':
              stats.handled++;
              break;
            case 'DUPLICATE':
              stats.duplicates++;
              break;
            case 'UNKNOWN_TYPE':
              stats.unknownTypes++;
              break;
            case 'INVALID':
              stats.invalid++;
              break;
            default: {
              const never: never = outcome;
              throw new Error(`unexpected outcome ${String(never)}`);
            }
          }
        },
      });
    },
    async stop() {
      const running = consumer;
      consumer = undefined;
      await running?.disconnect();
    },
  };
}
