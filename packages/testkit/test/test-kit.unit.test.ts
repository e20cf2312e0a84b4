import {
  aggregateOf,
  decodeEvent,
  EVENT_TYPES,
  eventHeaders,
  HEADERS,
  routingKey,
} from '@novamed-stream/events';
import { describe, expect, it } from 'vitest';
import { generateEventMix, ingressMessage, seededRandom } from '../src/index.js';

describe('seededRandom', () => {
  it('draws the sandbox Random sequence (mulberry32): same seed, same numbers on every machine', () => {
    const next = seededRandom(42);
    // The first draws of the sandbox's `new Random(42).next()`.
    expect([next(), next(), next()]).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099,
    ]);
    const a = seededRandom(7);
    const b = seededRandom(7);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(draws);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(8)()).not.toBe(draws[0]);
  });
});

describe('ingressMessage', () => {
  it('keeps the bytes as sent and takes the key and headers the ingress takes', () => {
    // Spacing and an escaped character that JSON.stringify would write differently.
    const body =
      '{ "event_type": "refill:approved", "event_id": "evt_k1", "timestamp": "2026-01-02T03:04:05Z",' +
      ' "clinic_id": "clinic_1", "data": { "refill_id": "rf_1", "medication_request_id": "mr_\\u0031" } }';
    const receivedAt = new Date('2026-01-02T03:04:06.000Z');
    const message = ingressMessage(body, receivedAt);
    expect(message.value.equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(message.key).toBe('mr_1');
    const parsed = JSON.parse(body);
    expect(message.key).toBe(routingKey(parsed));
    expect(message.headers).toEqual(eventHeaders(parsed, receivedAt));
    expect(message.headers[HEADERS.receivedAt]).toBe('2026-01-02T03:04:06.000Z');
  });
});

describe('generateEventMix', () => {
  const mix = generateEventMix({ runId: 'u1', messages: 2000, seed: 3 });
  const events = mix.messages.map((m) => {
    const decoded = decodeEvent(m.value);
    if (!decoded.ok) throw new Error(`invalid generated event: ${decoded.reason}`);
    return decoded.event;
  });

  it('makes valid events of all 12 types, keyed and headed as the ingress does', () => {
    expect(mix.messages.length).toBeGreaterThanOrEqual(2000);
    expect(new Set(events.map((e) => e.event_type))).toEqual(new Set(EVENT_TYPES));
    for (const [i, message] of mix.messages.entries()) {
      expect(message.key).toBe(routingKey(events[i] as never));
      expect(message.headers[HEADERS.eventId]).toBe(events[i]?.event_id);
    }
  });

  it('keeps ids consistent: every order and refill belongs to a generated medication request', () => {
    const requests = new Set(
      events
        .filter((e) => e.event_type === 'medication_request:created')
        .map((e) => (e.data as { medication_request_id: string }).medication_request_id),
    );
    const others = events.filter((e) => aggregateOf(e.event_type) !== 'medication_request');
    expect(others.length).toBeGreaterThan(0);
    for (const e of others) {
      const id = (e.data as { medication_request_id?: string }).medication_request_id;
      expect(id === undefined || requests.has(id), `${e.event_type} ${e.event_id}`).toBe(true);
    }
    const delivered = mix.delivered.order + mix.delivered.medication_request + mix.delivered.refill;
    expect(delivered).toBe(mix.messages.length);
  });

  it('draws the same mix from the same seed', () => {
    const again = generateEventMix({ runId: 'u1', messages: 2000, seed: 3 });
    expect(again.messages.map((m) => m.value.toString())).toEqual(
      mix.messages.map((m) => m.value.toString()),
    );
  });
});
