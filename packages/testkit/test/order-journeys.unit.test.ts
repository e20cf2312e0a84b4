import { decodeEvent } from '@novamed-stream/events';
import { describe, expect, it } from 'vitest';
import { orderJourneys } from '../src/index.js';

describe('orderJourneys', () => {
  it('without a seed, follows the index: 10 orders are 30 events (29 stages, order 7 cancelled)', () => {
    const events = orderJourneys({ runId: 'k', count: 10 });
    expect(events).toHaveLength(30);
    const stagesOf = (i: number) =>
      events.filter((e) => e.data['order_id'] === `ord_k_${i}`).map((e) => e.event_type);
    expect(stagesOf(0)).toEqual(['order:created', 'order:processing']);
    expect(stagesOf(2)).toEqual([
      'order:created',
      'order:processing',
      'order:shipped',
      'order:delivered',
    ]);
    expect(stagesOf(7)).toEqual([
      'order:created',
      'order:processing',
      'order:shipped',
      'order:cancelled',
    ]);
    // `from` extends a run: the same orders, ids and timestamps as one longer call.
    expect(orderJourneys({ runId: 'k', from: 4, count: 6 })).toEqual(events.slice(11));
  });

  it('with a seed, draws the same journeys on every run, and other ones for another seed', () => {
    const a = orderJourneys({ runId: 's', count: 200, seed: 7 });
    expect(orderJourneys({ runId: 's', count: 200, seed: 7 })).toEqual(a);
    expect(orderJourneys({ runId: 's', count: 200, seed: 8 })).not.toEqual(a);
    const cancelled = a.filter((e) => e.event_type === 'order:cancelled').length;
    expect(cancelled).toBeGreaterThan(5);
    expect(cancelled).toBeLessThan(40);
  });

  it('gives events every projector accepts: valid per schema, distinct event ids', () => {
    const events = [
      ...orderJourneys({ runId: 'v', count: 50 }),
      ...orderJourneys({ runId: 'w', count: 50, seed: 3 }),
    ];
    for (const event of events) {
      const decoded = decodeEvent(JSON.stringify(event));
      expect(decoded.ok ? 'ok' : decoded.errors).toBe('ok');
    }
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
  });
});
