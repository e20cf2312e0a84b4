import type { TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import type { Envelope } from './envelope.js';
import { EVENT_DATA_SCHEMAS, type EventData } from './event-data.js';
import { EVENT_TYPES, type EventType, isEventType } from './event-types.js';

/** A fully validated event: the envelope with `data` typed by its `event_type`. */
export type NovaMedEvent = {
  [T in EventType]: Omit<Envelope, 'event_type' | 'data'> & { event_type: T; data: EventData<T> };
}[EventType];

/** A validated event of one type. */
export type EventOf<T extends EventType> = Extract<NovaMedEvent, { event_type: T }>;

/** Outcome of {@link validateEvent}. Errors name paths and rules, never values. */
export type EventValidation =
  | { ok: true; event: NovaMedEvent }
  | { ok: false; reason: 'UNKNOWN_EVENT_TYPE'; errors: string[] }
  | { ok: false; reason: 'INVALID_DATA'; errors: string[] };

const checks = Object.fromEntries(
  EVENT_TYPES.map((type) => [type, TypeCompiler.Compile(EVENT_DATA_SCHEMAS[type] as TSchema)]),
) as Record<EventType, TypeCheck<TSchema>>;

/**
 * Checks an envelope's `data` against the schema of its `event_type`. An unknown type is not an
 * error of the event (NovaMed may add types); callers count and skip it.
 */
export function validateEvent(envelope: Envelope): EventValidation {
  const type = envelope.event_type;
  if (!isEventType(type)) {
    return { ok: false, reason: 'UNKNOWN_EVENT_TYPE', errors: [`unknown event_type`] };
  }
  const check = checks[type];
  if (check.Check(envelope.data)) return { ok: true, event: envelope as NovaMedEvent };
  const errors: string[] = [];
  for (const error of check.Errors(envelope.data)) {
    errors.push(`data${error.path.replaceAll('/', '.')}: ${error.message}`);
    if (errors.length >= 5) break;
  }
  return { ok: false, reason: 'INVALID_DATA', errors };
}
