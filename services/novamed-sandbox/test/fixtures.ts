import { EventGenerator, type GeneratedEvent } from '../src/event-generator.js';

export const CLINIC_A = '550e8400-e29b-41d4-a716-446655440000';
export const CLINIC_B = '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b';
export const START = Date.parse('2025-01-15T09:00:00.000Z');

/** Every event of `lifecycles` care episodes, one second apart. */
export function generateAll(
  seed: number,
  lifecycles: number,
  clinicIds: readonly string[] = [CLINIC_A, CLINIC_B],
): GeneratedEvent[] {
  const generator = new EventGenerator({ seed, clinicIds, lifecycles });
  const events: GeneratedEvent[] = [];
  for (let at = START; ; at += 1000) {
    const event = generator.next(at);
    if (event === undefined) return events;
    events.push(event);
  }
}

/** `data` of an event as a plain record. */
export function dataOf(event: GeneratedEvent): Record<string, unknown> {
  return event.event.data as Record<string, unknown>;
}
