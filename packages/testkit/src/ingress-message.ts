import { eventHeaders, type RoutableEnvelope, routingKey } from '@novamed-stream/events';

/** A message of the events topic, as the ingress writes it. */
export interface IngressMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** The envelope fields the ingress derives the key and headers from. */
export interface IngressEnvelope extends RoutableEnvelope {
  clinic_id: string;
}

/**
 * The message the ingress appends for an accepted webhook (see the ingress's webhook route):
 * key = the routing key, value = the body's raw bytes (never re-serialised), the event headers
 * with `receivedAt`. `body` is the JSON exactly as sent; `envelope` its parsed form when the
 * caller has it (default: parsed from `body`).
 */
export function ingressMessage(
  body: string | Buffer,
  receivedAt: Date = new Date(),
  envelope?: IngressEnvelope,
): IngressMessage {
  const value = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const parsed = envelope ?? (JSON.parse(value.toString('utf8')) as IngressEnvelope);
  return {
    key: routingKey(parsed),
    value,
    headers: eventHeaders(parsed, receivedAt),
  };
}
