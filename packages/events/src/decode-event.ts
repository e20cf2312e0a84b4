import { type Envelope, parseEnvelope } from './envelope.js';
import { type NovaMedEvent, validateEvent } from './novamed-event.js';

/** Outcome of {@link decodeEvent}. */
export type DecodedEvent =
  | { ok: true; envelope: Envelope; event: NovaMedEvent }
  | { ok: false; reason: 'INVALID_JSON' | 'INVALID_ENVELOPE'; errors: string[] }
  | { ok: false; reason: 'UNKNOWN_EVENT_TYPE'; envelope: Envelope; errors: string[] }
  | { ok: false; reason: 'INVALID_DATA'; envelope: Envelope; errors: string[] };

/**
 * Decodes a message value of the events topic (the raw webhook body) into a validated event.
 * Never throws; errors carry no payload values.
 */
export function decodeEvent(value: Buffer | Uint8Array | string | null): DecodedEvent {
  if (value === null) return { ok: false, reason: 'INVALID_JSON', errors: ['empty message'] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : Buffer.from(value).toString('utf8'));
  } catch {
    return { ok: false, reason: 'INVALID_JSON', errors: ['value is not valid JSON'] };
  }
  const envelope = parseEnvelope(parsed);
  if (!envelope.ok) return { ok: false, reason: 'INVALID_ENVELOPE', errors: [envelope.reason] };
  const checked = validateEvent(envelope.envelope);
  if (checked.ok) return { ok: true, envelope: envelope.envelope, event: checked.event };
  return { ok: false, reason: checked.reason, envelope: envelope.envelope, errors: checked.errors };
}
