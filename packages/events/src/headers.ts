/** Kafka header names on every message of the events topic (values are UTF-8 strings). */
export const HEADERS = {
  eventType: 'novamed-event-type',
  eventId: 'novamed-event-id',
  clinicId: 'novamed-clinic-id',
  /** When the ingress received the webhook, ISO 8601 UTC. */
  receivedAt: 'novamed-received-at',
  /** Always `application/json`: the value is the body exactly as NovaMed sent it. */
  contentType: 'content-type',
} as const;

/** Extra headers on quarantine-topic messages. */
export const QUARANTINE_HEADERS = {
  /** The error code the ingress answered with, e.g. `INVALID_ENVELOPE`. */
  reason: 'novamed-reject-code',
  /** A short, value-free description of what was wrong. */
  detail: 'novamed-reject-detail',
  receivedAt: 'novamed-received-at',
  contentType: 'content-type',
} as const;

/** The headers the ingress writes for an accepted envelope. */
export function eventHeaders(
  envelope: { event_type: string; event_id: string; clinic_id: string },
  receivedAt: Date,
): Record<string, string> {
  return {
    [HEADERS.eventType]: envelope.event_type,
    [HEADERS.eventId]: envelope.event_id,
    [HEADERS.clinicId]: envelope.clinic_id,
    [HEADERS.receivedAt]: receivedAt.toISOString(),
    [HEADERS.contentType]: 'application/json',
  };
}
