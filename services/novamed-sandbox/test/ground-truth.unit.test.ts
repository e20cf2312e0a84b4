import type { NovaMedEvent } from '@novamed-stream/events';
import {
  medicationRequestsReadModel,
  ordersReadModel,
  project,
  refillsReadModel,
} from '@novamed-stream/read-models';
import { describe, expect, it } from 'vitest';
import { GroundTruth } from '../src/ground-truth.js';
import { Random } from '../src/random.js';
import { CLINIC_A, CLINIC_B, generateAll } from './fixtures.js';

const events = generateAll(99, 300).map((g) => g.event);

function truthOf(list: readonly NovaMedEvent[]) {
  const truth = new GroundTruth();
  for (const event of list) truth.record(event);
  return truth;
}

/** The event types of one order, in true order. */
function orderTypes(orderId: string): string[] {
  return events
    .filter(
      (e) =>
        e.event_type.startsWith('order:') && 'order_id' in e.data && e.data.order_id === orderId,
    )
    .map((e) => e.event_type);
}

describe('GroundTruth', () => {
  const truth = truthOf(events);
  const snapshot = truth.snapshot();

  it('holds, per aggregate, what the read models project from its events', () => {
    expect(truth.events).toBe(events.length);
    expect(snapshot.orders.length).toBeGreaterThan(300);
    expect(snapshot.medication_requests).toHaveLength(300);
    expect(snapshot.refills.length).toBeGreaterThan(30);
    for (const state of snapshot.orders) {
      expect(state).toEqual(project(ordersReadModel, events, state.order_id));
    }
    for (const state of snapshot.medication_requests) {
      expect(state).toEqual(
        project(medicationRequestsReadModel, events, state.medication_request_id),
      );
    }
    for (const state of snapshot.refills) {
      expect(state).toEqual(project(refillsReadModel, events, state.refill_id));
    }
    expect(truth.counts()).toEqual({
      orders: snapshot.orders.length,
      medication_requests: snapshot.medication_requests.length,
      refills: snapshot.refills.length,
    });
  });

  it('does not depend on delivery order or duplicates', () => {
    const random = new Random(4);
    const shuffled = [...events, ...events.filter(() => random.chance(0.3))];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = random.int(0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    expect(truthOf(shuffled).snapshot()).toEqual(snapshot);
  });

  it('keeps cancelled over delivered, and the later refill decision', () => {
    const returned = snapshot.orders.filter(
      (o) => o.delivered_at !== null && o.cancelled_at !== null,
    );
    expect(returned.length).toBeGreaterThan(0);
    for (const order of returned) {
      expect(orderTypes(order.order_id).at(-1)).toBe('order:cancelled');
      expect(order.status).toBe('cancelled');
    }
    const decidedTwice = snapshot.refills.filter(
      (r) => r.approved_at !== null && r.denied_at !== null,
    );
    for (const refill of decidedTwice) {
      expect(refill.status).toBe(refill.approved_at! > refill.denied_at! ? 'approved' : 'denied');
    }
  });

  it('filters by clinic and clears', () => {
    const a = truth.snapshot(CLINIC_A);
    const b = truth.snapshot(CLINIC_B);
    expect(a.orders.length + b.orders.length).toBe(snapshot.orders.length);
    expect(a.orders.every((o) => o.clinic_id === CLINIC_A)).toBe(true);
    const other = truthOf(events.slice(0, 10));
    other.clear();
    expect(other.snapshot()).toEqual({ orders: [], medication_requests: [], refills: [] });
    expect(other.events).toBe(0);
  });
});
