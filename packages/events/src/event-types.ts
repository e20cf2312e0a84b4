/** Every event type NovaMed documents, in lifecycle order within each aggregate. */
export const EVENT_TYPES = [
  'order:created',
  'order:processing',
  'order:shipped',
  'order:delivered',
  'order:cancelled',
  'medication_request:created',
  'medication_request:approved',
  'medication_request:filled',
  'medication_request:cancelled',
  'refill:requested',
  'refill:approved',
  'refill:denied',
] as const;

/** One of the 12 documented event types. */
export type EventType = (typeof EVENT_TYPES)[number];

/** The aggregate an event type belongs to: the part of `event_type` before the colon. */
export type AggregateKind = 'order' | 'medication_request' | 'refill';

const KNOWN = new Set<string>(EVENT_TYPES);

/** True when `value` is one of the 12 documented event types. */
export function isEventType(value: string): value is EventType {
  return KNOWN.has(value);
}

/**
 * The aggregate kind named by an event type's prefix (`order:shipped` -> `order`), also for a
 * type NovaMed may add later (`order:returned`); `undefined` for an unknown prefix.
 */
export function aggregateOf(eventType: string): AggregateKind | undefined {
  const prefix = eventType.slice(0, eventType.indexOf(':'));
  switch (prefix) {
    case 'order':
    case 'medication_request':
    case 'refill':
      return prefix;
    default:
      return undefined;
  }
}
