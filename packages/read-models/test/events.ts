import {
  decodeEvent,
  type EventData,
  type EventOf,
  type EventType,
  type GuideSampleName,
  guideSample,
  type NovaMedEvent,
} from '@novamed-stream/events';

/** The clinic of the guide's samples. */
export const CLINIC = '550e8400-e29b-41d4-a716-446655440000';

let counter = 0;

/** Builds a typed event; `event_id` defaults to a fresh one, `clinic_id` to {@link CLINIC}. */
export function event<T extends EventType>(
  type: T,
  timestamp: string,
  data: EventData<T>,
  meta: { event_id?: string; clinic_id?: string } = {},
): EventOf<T> {
  counter += 1;
  return {
    event_type: type,
    event_id: meta.event_id ?? `evt_${String(counter).padStart(6, '0')}`,
    timestamp,
    clinic_id: meta.clinic_id ?? CLINIC,
    data,
  } as EventOf<T>;
}

/** One of the guide's two full payloads, decoded and validated like a projector does. */
export function sample(name: GuideSampleName): NovaMedEvent {
  const decoded = decodeEvent(guideSample(name));
  if (!decoded.ok) throw new Error(`guide sample ${name} does not decode: ${decoded.reason}`);
  return decoded.event;
}

/** An event with extra `data` fields NovaMed may add (not in the schema's static type). */
export function withExtra<E extends NovaMedEvent>(e: E, extra: Record<string, unknown>): E {
  return { ...e, data: { ...e.data, ...extra } };
}
