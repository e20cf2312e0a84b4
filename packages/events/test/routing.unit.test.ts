import { describe, expect, it } from 'vitest';
import {
  aggregateOf,
  EVENTS_TOPIC,
  eventHeaders,
  HEADERS,
  isIsoDate,
  isIsoDateTime,
  routingKey,
} from '../src/index.js';

const env = (event_type: string, data: Record<string, unknown>) => ({
  event_type,
  event_id: 'evt_1',
  data,
});

describe('routingKey', () => {
  it('keys order events by order_id', () => {
    expect(
      routingKey(env('order:shipped', { order_id: 'ord_1', medication_request_id: 'mr_1' })),
    ).toBe('ord_1');
  });
  it('keys medication-request events by medication_request_id', () => {
    expect(routingKey(env('medication_request:approved', { medication_request_id: 'mr_1' }))).toBe(
      'mr_1',
    );
  });
  it('keys refill events by their medication request, then refill_id', () => {
    expect(
      routingKey(env('refill:approved', { refill_id: 'rf_1', medication_request_id: 'mr_1' })),
    ).toBe('mr_1');
    expect(routingKey(env('refill:approved', { refill_id: 'rf_1' }))).toBe('rf_1');
  });
  it('falls back to event_id for a missing id or an unknown aggregate', () => {
    expect(routingKey(env('order:created', {}))).toBe('evt_1');
    expect(routingKey(env('order:created', { order_id: '' }))).toBe('evt_1');
    expect(routingKey(env('order:created', { order_id: 42 }))).toBe('evt_1');
    expect(routingKey(env('refill:denied', { medication_request_id: null }))).toBe('evt_1');
    expect(routingKey(env('invoice:paid', { order_id: 'ord_1' }))).toBe('evt_1');
  });
  it('routes a future event type of a known aggregate like its siblings', () => {
    expect(routingKey(env('order:returned', { order_id: 'ord_1' }))).toBe('ord_1');
  });
});

describe('contract constants', () => {
  it('names the topic and headers', () => {
    expect(EVENTS_TOPIC).toBe('novamed.events.v1');
    const headers = eventHeaders(
      { event_type: 'order:shipped', event_id: 'evt_1', clinic_id: 'c1' },
      new Date('2025-01-15T10:30:00.000Z'),
    );
    expect(headers).toEqual({
      [HEADERS.eventType]: 'order:shipped',
      [HEADERS.eventId]: 'evt_1',
      [HEADERS.clinicId]: 'c1',
      [HEADERS.receivedAt]: '2025-01-15T10:30:00.000Z',
      [HEADERS.contentType]: 'application/json',
    });
  });
  it('maps event types to aggregates', () => {
    expect(aggregateOf('medication_request:filled')).toBe('medication_request');
    expect(aggregateOf('refill:denied')).toBe('refill');
    expect(aggregateOf('nonsense')).toBeUndefined();
  });
});

describe('ISO 8601', () => {
  it.each([
    '2025-01-15T10:30:00.000Z',
    '2025-01-15T10:30:00Z',
    '2025-01-15T10:30:00+05:30',
    '2024-02-29T00:00:00.123456Z',
  ])('accepts %s', (v) => expect(isIsoDateTime(v)).toBe(true));
  it.each([
    '2025-01-15',
    '2025-01-15T10:30:00',
    '2025-13-15T10:30:00Z',
    '2025-02-29T10:30:00Z',
    '2025-01-15T24:30:00Z',
    ' 2025-01-15T10:30:00Z',
    '1736937000',
  ])('rejects %s', (v) => expect(isIsoDateTime(v)).toBe(false));
  it('checks calendar dates', () => {
    expect(isIsoDate('2025-01-18')).toBe(true);
    expect(isIsoDate('2025-02-30')).toBe(false);
  });
});
