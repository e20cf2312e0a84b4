import { aggregateOf } from './event-types.js';

/** The parts of an envelope the routing key depends on. */
export interface RoutableEnvelope {
  event_type: string;
  event_id: string;
  data: Record<string, unknown>;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * The Kafka message key, which fixes the partition and so the order consumers see:
 * order events by `data.order_id`; medication-request and refill events by
 * `data.medication_request_id`, else `data.refill_id`; anything else (or a missing id) by
 * `event_id`. Refills share their medication request's key so both stay in one partition.
 */
export function routingKey(envelope: RoutableEnvelope): string {
  const { data } = envelope;
  switch (aggregateOf(envelope.event_type)) {
    case 'order':
      return nonEmptyString(data.order_id) ?? envelope.event_id;
    case 'medication_request':
    case 'refill':
      return (
        nonEmptyString(data.medication_request_id) ??
        nonEmptyString(data.refill_id) ??
        envelope.event_id
      );
    case undefined:
      return envelope.event_id;
  }
}
