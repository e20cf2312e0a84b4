import { describe, expect, it } from 'vitest';
import type { AggregateMessage } from '../src/aggregate-messages.js';
import { loadConfig } from '../src/config.js';
import { createConsoleKeyVerifier } from '../src/console-key-verifier.js';
import { eventTimeline, type HistoryEvent } from '../src/event-timeline.js';
import { counterRate, flowRates } from '../src/flow-rates.js';
import { maskRecord } from '../src/phi-mask.js';
import { parsePrometheusText } from '../src/prometheus-text.js';
import { SessionStore } from '../src/session-store.js';

const KEY = 'console-key-0123456789';

describe('console key and sessions', () => {
  it('accepts every listed key (rotation) and nothing else', () => {
    const verify = createConsoleKeyVerifier(['old-key-0123456789', KEY]);
    expect(verify(KEY)).toBe(true);
    expect(verify('old-key-0123456789')).toBe(true);
    expect(verify(`${KEY}x`)).toBe(false);
    expect(verify('')).toBe(false);
    expect(verify(undefined)).toBe(false);
    expect(verify([KEY])).toBe(false);
  });

  it('ends sessions at their TTL', () => {
    let now = 0;
    const sessions = new SessionStore({ ttlMs: 1000, now: () => now });
    const id = sessions.create();
    expect(sessions.isValid(id)).toBe(true);
    expect(sessions.isValid('made-up')).toBe(false);
    now = 1000;
    expect(sessions.isValid(id)).toBe(false);
  });
});

describe('config', () => {
  const base = {
    CONSOLE_API_KEYS: KEY,
    DATABASE_URL: 'postgres://u:secret-password@h:5432/d',
    KAFKA_BROKERS: 'k:9092',
  };
  it('binds to localhost by default', () => {
    const result = loadConfig(base);
    expect(result.ok && result.config.host).toBe('127.0.0.1');
    expect(result.ok && result.config.metrics.map((m) => m.name)).toEqual([
      'ingress',
      'orders',
      'medication_requests',
      'refills',
    ]);
  });
  it('refuses short keys and names the variable, never the value', () => {
    const result = loadConfig({ ...base, CONSOLE_API_KEYS: 'short' });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).toContain('CONSOLE_API_KEYS');
    expect(JSON.stringify(result)).not.toContain('short');
    const missing = loadConfig({ ...base, DATABASE_URL: undefined });
    expect(!missing.ok && missing.errors[0]).toMatch(/^DATABASE_URL is required/);
  });
});

describe('live flow rates from /metrics', () => {
  const ingress = (accepted: number, ok: number, bad: number, unavailable: number) =>
    parsePrometheusText(`# HELP ingress_events_total x
# TYPE ingress_events_total counter
ingress_events_total{event_type="order:shipped"} ${accepted}
ingress_events_total{event_type="unknown"} 1
http_requests_total{route="/webhooks/novamed",status="200"} ${ok}
http_requests_total{route="/webhooks/novamed",status="400"} ${bad}
http_requests_total{route="/webhooks/novamed",status="401"} 1
http_requests_total{route="/webhooks/novamed",status="503"} ${unavailable}
ingress_quarantined_total{reason="INVALID_JSON"} ${bad}
`);
  it('parses samples with labels', () => {
    expect(parsePrometheusText('a_total{x="1",y="a\\"b"} 3\n# c\nb 2.5 1700000000')).toEqual([
      { name: 'a_total', labels: { x: '1', y: 'a"b' }, value: 3 },
      { name: 'b', labels: {}, value: 2.5 },
    ]);
  });
  it('turns counters into per-second rates between two reads', () => {
    const rates = flowRates(
      { at: 0, sources: { ingress: ingress(10, 10, 2, 0), orders: null } },
      { at: 2000, sources: { ingress: ingress(30, 30, 6, 4), orders: null } },
    );
    expect(rates).toMatchObject({
      ingressUp: true,
      acceptedPerSecond: 10,
      http4xxPerSecond: 2,
      http503PerSecond: 2,
      quarantinedTotal: 6,
      projectors: { orders: { up: false, appliedPerSecond: null } },
    });
  });
  it('a counter that went down was reset', () => {
    expect(counterRate(100, 5, 1)).toBe(5);
    expect(counterRate(undefined, 5, 1)).toBeNull();
  });
});

describe('PHI masking', () => {
  it('removes patient, address and medication values at any depth, and lists them', () => {
    const { fields, masked } = maskRecord({
      order_id: 'ord_1',
      patient_pseudonym: 'abc',
      ship_zip5: '94102',
      carrier: 'UPS',
      data: {
        patient_id: 'pat_1',
        shipping_address: { line1: '1 Main St' },
        items: [{ medication_name: 'X' }],
      },
    });
    expect(JSON.stringify(fields)).not.toMatch(/abc|94102|pat_1|Main|"X"/);
    expect(fields).toMatchObject({ order_id: 'ord_1', carrier: 'UPS' });
    expect(masked.sort()).toEqual(
      [
        'data.items[0].medication_name',
        'data.patient_id',
        'data.shipping_address',
        'patient_pseudonym',
        'ship_zip5',
      ].sort(),
    );
  });
});

describe('event timeline', () => {
  const applied: HistoryEvent = {
    eventId: 'e2',
    eventType: 'order:shipped',
    timestamp: '2025-01-15T10:30:00.000Z',
    receivedAt: '2025-01-15T10:30:01.000Z',
    partition: 1,
    offset: '5',
  };
  const message = (
    offset: string,
    eventId: string,
    eventType = 'order:shipped',
  ): AggregateMessage => ({
    partition: 1,
    offset,
    eventId,
    eventType,
    receivedAt: null,
    timestamp: '2025-01-15T09:00:00.000Z',
  });
  it('counts duplicates, marks rejected and pending events, ignores other aggregates', () => {
    const timeline = eventTimeline(
      'order:',
      [applied],
      [
        message('5', 'e2'),
        message('7', 'e2'),
        message('6', 'e1'),
        message('8', 'e3'),
        message('9', 'r1', 'refill:requested'),
      ],
      [
        {
          eventId: 'e1',
          eventType: 'order:created',
          partition: 1,
          offset: '6',
          reason: 'INVALID_DATA',
          details: ['/data/order_id'],
        },
      ],
    );
    expect(timeline.map((t) => [t.eventId, t.outcome.status, t.deliveries])).toEqual([
      ['e1', 'rejected', 1],
      ['e3', 'pending', 1],
      ['e2', 'applied', 2],
    ]);
    expect(timeline.find((t) => t.eventId === 'e2')?.duplicateOffsets).toEqual(['7']);
  });
  it('without the topic, deliveries are unknown', () => {
    expect(eventTimeline('order:', [applied], null, [])[0]?.deliveries).toBeNull();
  });
});
