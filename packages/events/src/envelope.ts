import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import './formats.js';

/**
 * The webhook envelope every NovaMed event shares. Unknown top-level fields are allowed and
 * kept (the raw bytes are what goes to Kafka). `event_type` is any `prefix:name` string here,
 * so a type NovaMed adds later is still accepted and stored; projectors decide what they use.
 */
export const EnvelopeSchema = Type.Object(
  {
    event_type: Type.String({
      minLength: 3,
      maxLength: 100,
      pattern: '^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$',
      description: 'e.g. order:shipped',
    }),
    event_id: Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'unique per event; redeliveries repeat it',
    }),
    timestamp: Type.String({ format: 'date-time', description: 'ISO 8601 with a time zone' }),
    clinic_id: Type.String({ minLength: 1, maxLength: 255 }),
    data: Type.Object({}, { additionalProperties: true, description: 'event-specific fields' }),
  },
  { additionalProperties: true, $id: 'NovaMedEnvelope' },
);

/** A structurally valid envelope; `data` is an object whose fields are checked per type later. */
export type Envelope = Static<typeof EnvelopeSchema>;

const envelopeCheck = TypeCompiler.Compile(EnvelopeSchema);

/** Outcome of {@link parseEnvelope}. `reason` names the field, never its value. */
export type EnvelopeResult =
  | { ok: true; envelope: Envelope }
  | { ok: false; field: string; reason: string };

const FIELD_RULES: Record<string, string> = {
  event_type: 'event_type must be a string like "order:shipped"',
  event_id: 'event_id must be a non-empty string of at most 255 characters',
  timestamp: 'timestamp must be an ISO 8601 date-time with a time zone',
  clinic_id: 'clinic_id must be a non-empty string of at most 255 characters',
  data: 'data must be a JSON object',
};

/**
 * Checks that a parsed JSON value is a usable envelope. The message never echoes input
 * values (they may carry PHI), only the offending field.
 */
export function parseEnvelope(value: unknown): EnvelopeResult {
  if (envelopeCheck.Check(value)) return { ok: true, envelope: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, field: '', reason: 'the body must be a JSON object (the event envelope)' };
  }
  const first = envelopeCheck.Errors(value).First();
  const field = first?.path.split('/')[1] ?? '';
  const reason = FIELD_RULES[field];
  return reason
    ? { ok: false, field, reason: `${reason}${describeMissing(value, field)}` }
    : { ok: false, field, reason: 'the body is not a valid event envelope' };
}

function describeMissing(value: object, field: string): string {
  return field in value ? '' : ' (missing)';
}
