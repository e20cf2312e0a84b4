import { guideSample } from '@novamed-stream/events';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  type EventHandlers,
  handleMessage,
  InMemoryEventIdDedup,
} from '../src/index.js';

const source = { topic: 'novamed.events.v1', partition: 2 };
const headers = { 'novamed-received-at': '2025-01-15T10:30:01.000Z' };

describe('decodeMessage', () => {
  it("types the guide's order:shipped sample and keeps where it came from", () => {
    const decoded = decodeMessage(
      { key: Buffer.from('ord_12345'), value: guideSample('orderShipped'), offset: '41', headers },
      source,
    );
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.context).toEqual({
      topic: 'novamed.events.v1',
      partition: 2,
      offset: '41',
      key: 'ord_12345',
      receivedAt: '2025-01-15T10:30:01.000Z',
    });
    const { event } = decoded;
    if (event.event_type !== 'order:shipped') throw new Error('wrong type');
    expect(event.data.carrier).toBe('UPS');
    expect(event.data.shipping_address.city).toBe('San Francisco');
  });

  it('tells an unknown event type (kept for later) from an invalid message', () => {
    const unknown = decodeMessage(
      {
        value: JSON.stringify({
          event_type: 'order:returned',
          event_id: 'evt_1',
          timestamp: '2025-01-15T10:30:00Z',
          clinic_id: 'c',
          data: { order_id: 'o' },
        }),
        offset: '1',
      },
      source,
    );
    expect(unknown).toMatchObject({
      ok: false,
      reason: 'UNKNOWN_EVENT_TYPE',
      envelope: { event_id: 'evt_1' },
    });
    const invalid = decodeMessage(
      {
        value: JSON.stringify({
          event_type: 'order:shipped',
          event_id: 'evt_2',
          timestamp: '2025-01-15T10:30:00Z',
          clinic_id: 'c',
          data: { order_id: 'o', patient_id: 'pat_secret' },
        }),
        offset: '2',
      },
      source,
    );
    expect(invalid).toMatchObject({
      ok: false,
      reason: 'INVALID_DATA',
      eventId: 'evt_2',
      eventType: 'order:shipped',
    });
    expect(JSON.stringify(invalid)).not.toContain('pat_secret');
    expect(
      decodeMessage(
        { value: '{not json', offset: '3', headers: { 'novamed-event-id': 'evt_3' } },
        source,
      ),
    ).toMatchObject({ ok: false, reason: 'INVALID_JSON', eventId: 'evt_3' });
  });
});

describe('handleMessage', () => {
  it('hands each event_id to the handler once, and retries one whose handler failed', async () => {
    const seen: string[] = [];
    let fail = true;
    const handlers: EventHandlers = {
      onEvent: (event) => {
        if (fail) {
          fail = false;
          throw new Error('downstream is down');
        }
        seen.push(event.event_id);
      },
    };
    const dedup = new InMemoryEventIdDedup();
    const message = { value: guideSample('medicationRequestApproved'), offset: '7' };
    await expect(handleMessage(message, source, handlers, dedup)).rejects.toThrow(
      'downstream is down',
    );
    expect(await handleMessage(message, source, handlers, dedup)).toBe('HANDLED');
    expect(await handleMessage({ ...message, offset: '9' }, source, handlers, dedup)).toBe(
      'DUPLICATE',
    );
    expect(seen).toEqual(['evt_def456xyz']);
    expect(await handleMessage(message, source, handlers, null)).toBe('HANDLED');
    expect(seen).toHaveLength(2);
  });
});

describe('InMemoryEventIdDedup', () => {
  it('forgets the least recently seen ids beyond its capacity', () => {
    const dedup = new InMemoryEventIdDedup(2);
    dedup.add('a');
    dedup.add('b');
    expect(dedup.has('a')).toBe(true); // refreshes a
    dedup.add('c'); // evicts b
    expect(dedup.has('b')).toBe(false);
    expect(dedup.has('a')).toBe(true);
    expect(dedup.has('c')).toBe(true);
    expect(dedup.size).toBe(2);
    expect(() => new InMemoryEventIdDedup(0)).toThrow(RangeError);
  });
});
