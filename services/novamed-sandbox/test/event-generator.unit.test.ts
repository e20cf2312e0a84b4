import {
  decodeEvent,
  EVENT_TYPES,
  isIsoDate,
  isIsoDateTime,
  validateEvent,
} from '@novamed-stream/events';
import { describe, expect, it } from 'vitest';
import { EventGenerator, type GeneratedEvent } from '../src/event-generator.js';
import { CLINIC_A, CLINIC_B, dataOf, generateAll, START } from './fixtures.js';

const events = generateAll(2025, 400);

function byAggregate(list: readonly GeneratedEvent[]): Map<string, GeneratedEvent[]> {
  const map = new Map<string, GeneratedEvent[]>();
  for (const event of list) map.set(event.aggregate, [...(map.get(event.aggregate) ?? []), event]);
  return map;
}

describe('EventGenerator', () => {
  it('generates only events that validate, covering all 12 event types', () => {
    expect(events.length).toBeGreaterThan(2000);
    for (const { event, body } of events) {
      expect(validateEvent(event).ok).toBe(true);
      // The body is the envelope's JSON, and what the projectors decode.
      const decoded = decodeEvent(Buffer.from(body));
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(decoded.event).toEqual(event);
    }
    expect(new Set(events.map((e) => e.event.event_type))).toEqual(new Set(EVENT_TYPES));
  });

  it('fills the two payloads the guide shows in full with realistic values', () => {
    const shipped = events.filter((e) => e.event.event_type === 'order:shipped');
    expect(new Set(shipped.map((e) => dataOf(e)['carrier']))).toEqual(
      new Set(['UPS', 'FedEx', 'USPS', 'DHL']),
    );
    for (const event of shipped) {
      const data = dataOf(event);
      expect(Object.keys(data)).toEqual(
        expect.arrayContaining([
          'order_id',
          'patient_id',
          'medication_request_id',
          'tracking_number',
          'carrier',
          'estimated_delivery',
          'shipping_address',
        ]),
      );
      expect(isIsoDate(String(data['estimated_delivery']))).toBe(true);
      expect(String(data['estimated_delivery']) > event.event.timestamp.slice(0, 10)).toBe(true);
      expect(data['shipping_address']).toMatchObject({
        line1: expect.stringMatching(/^\d+ \S/),
        city: expect.any(String),
        state: expect.stringMatching(/^[A-Z]{2}$/),
        zip: expect.stringMatching(/^\d{5}$/),
      });
    }
    for (const event of events.filter(
      (e) => e.event.event_type === 'medication_request:approved',
    )) {
      const data = dataOf(event);
      expect(data).toMatchObject({
        medication_request_id: expect.stringMatching(/^med_req_/),
        patient_id: expect.stringMatching(/^pat_/),
        practitioner_id: expect.stringMatching(/^prac_/),
        medication_name: expect.any(String),
        quantity: expect.any(Number),
        refills: expect.any(Number),
        approved_at: event.event.timestamp,
      });
    }
  });

  it('keeps ids consistent between medication requests, orders and refills', () => {
    const requests = new Map<string, Record<string, unknown>>();
    const clinicOf = new Map<string, string>();
    for (const event of events) {
      const data = dataOf(event);
      if (event.event.event_type === 'medication_request:created') {
        requests.set(String(data['medication_request_id']), data);
        clinicOf.set(String(data['medication_request_id']), event.event.clinic_id);
      }
    }
    const addressOf = new Map<string, unknown>();
    for (const event of events) {
      const data = dataOf(event);
      const requestId = String(data['medication_request_id']);
      const request = requests.get(requestId);
      // Every order and refill names a request created earlier, of the same patient and clinic.
      expect(request, `${event.event.event_type} names a known request`).toBeDefined();
      expect(data['patient_id']).toBe(request?.['patient_id']);
      expect(event.event.clinic_id).toBe(clinicOf.get(requestId));
      // A patient's address is the same on every order.
      if (data['shipping_address'] !== undefined) {
        const patient = String(data['patient_id']);
        if (addressOf.has(patient))
          expect(data['shipping_address']).toEqual(addressOf.get(patient));
        addressOf.set(patient, data['shipping_address']);
      }
    }
    expect(new Set(events.map((e) => e.event.clinic_id))).toEqual(new Set([CLINIC_A, CLINIC_B]));
  });

  it('orders every aggregate plausibly: it starts with its creation, timestamps increase', () => {
    const first: Record<string, string> = {
      order: 'order:created',
      medication_request: 'medication_request:created',
      refill: 'refill:requested',
    };
    for (const [aggregate, list] of byAggregate(events)) {
      const kind = aggregate.slice(0, aggregate.indexOf(':'));
      expect(list[0]?.event.event_type).toBe(first[kind]);
      for (let i = 1; i < list.length; i++) {
        expect(list[i]!.event.timestamp > list[i - 1]!.event.timestamp).toBe(true);
      }
    }
    for (const { event } of events) expect(isIsoDateTime(event.timestamp)).toBe(true);
    expect(events[0]?.event.timestamp).toBe(new Date(START).toISOString());
  });

  it('produces the lifecycles of the guide, including the rare branches', () => {
    const types = [...byAggregate(events).values()].map((list) =>
      list.map((e) => e.event.event_type.split(':')[1]).join('>'),
    );
    expect(types).toContain('created>processing>shipped>delivered');
    expect(types).toContain('created>approved>filled');
    expect(types).toContain('requested>approved');
    expect(types).toContain('requested>denied');
    expect(types.some((t) => t.startsWith('created>') && t.endsWith('>cancelled'))).toBe(true);
    // An order cancelled after its delivery: the read models must keep `cancelled`.
    expect(types).toContain('created>processing>shipped>delivered>cancelled');
  });

  it('is reproducible: the same seed gives the same events, another seed others', () => {
    expect(generateAll(7, 50)).toEqual(generateAll(7, 50));
    const other = generateAll(8, 50);
    expect(other.map((e) => e.event.event_id)).not.toEqual(
      generateAll(7, 50).map((e) => e.event.event_id),
    );
    expect(new Set(events.map((e) => e.event.event_id)).size).toBe(events.length);
  });

  it('ends after the requested lifecycles, each carried to its end', () => {
    const generator = new EventGenerator({ seed: 1, clinicIds: [CLINIC_A], lifecycles: 30 });
    let count = 0;
    while (generator.next(START + count * 10) !== undefined) count++;
    expect(generator.exhausted).toBe(true);
    expect(generator.episodesStarted).toBe(30);
    expect(generator.episodesCompleted).toBe(30);
    expect(generator.eventsGenerated).toBe(count);
    expect(generator.next(START)).toBeUndefined();
  });

  it('never repeats a timestamp, even when asked for the same instant', () => {
    const generator = new EventGenerator({ seed: 1, clinicIds: [CLINIC_A] });
    const stamps = Array.from({ length: 50 }, () => generator.next(START)?.event.timestamp);
    expect(new Set(stamps).size).toBe(50);
  });
});
