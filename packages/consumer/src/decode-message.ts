import { decodeEvent, type Envelope, HEADERS, type NovaMedEvent } from '@novamed-stream/events';

/** A Kafka message as this helper needs it (a subset of kafkajs's `KafkaMessage`). */
export interface MessageLike {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  offset: string;
  timestamp?: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/** Where a message came from and what the ingress wrote beside it. */
export interface EventContext {
  topic: string;
  partition: number;
  offset: string;
  /** The routing key: `order_id`, or `medication_request_id` (refills too), else `event_id`. */
  key: string | null;
  /** When the ingress received the webhook (header `novamed-received-at`), ISO 8601. */
  receivedAt: string | null;
}

/** Outcome of {@link decodeMessage}. */
export type DecodedMessage =
  | { ok: true; event: NovaMedEvent; context: EventContext }
  /** A well-formed envelope with an event type this release does not know (NovaMed added one). */
  | { ok: false; reason: 'UNKNOWN_EVENT_TYPE'; envelope: Envelope; context: EventContext }
  /** Not usable: bad JSON, a bad envelope, or `data` that fails its type's schema. */
  | {
      ok: false;
      reason: 'INVALID_JSON' | 'INVALID_ENVELOPE' | 'INVALID_DATA';
      /** Paths and rules, never values (they may hold patient data). */
      errors: string[];
      /** From the headers, when present. */
      eventId: string | null;
      eventType: string | null;
      context: EventContext;
    };

function header(message: MessageLike, name: string): string | null {
  const value = message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? null : first.toString();
}

/**
 * Decodes one message of `novamed.events.v1` (the raw webhook body NovaMed sent) into a
 * validated, typed event: `switch (event.event_type)` narrows `event.data`. Never throws.
 */
export function decodeMessage(
  message: MessageLike,
  source: { topic: string; partition: number },
): DecodedMessage {
  const context: EventContext = {
    topic: source.topic,
    partition: source.partition,
    offset: message.offset,
    key: message.key === null || message.key === undefined ? null : message.key.toString(),
    receivedAt: header(message, HEADERS.receivedAt),
  };
  const decoded = decodeEvent(message.value);
  if (decoded.ok) return { ok: true, event: decoded.event, context };
  if (decoded.reason === 'UNKNOWN_EVENT_TYPE') {
    return { ok: false, reason: decoded.reason, envelope: decoded.envelope, context };
  }
  return {
    ok: false,
    reason: decoded.reason,
    errors: decoded.errors,
    eventId: 'envelope' in decoded ? decoded.envelope.event_id : header(message, HEADERS.eventId),
    eventType:
      'envelope' in decoded ? decoded.envelope.event_type : header(message, HEADERS.eventType),
    context,
  };
}
