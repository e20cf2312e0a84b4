import type { NovaMedEvent } from '@novamed-stream/events';
import {
  type AggregateState,
  medicationRequestsReadModel,
  ordersReadModel,
  project,
  type ReadModel,
  refillsReadModel,
} from '@novamed-stream/read-models';
import { describe, expect, it } from 'vitest';
import type { GeneratedEvent } from '../src/event-generator.js';
import { GroundTruth } from '../src/ground-truth.js';
import { Random } from '../src/random.js';
import { CLINIC_A, CLINIC_B, generateAll } from './fixtures.js';

const generated = generateAll(99, 300);
const events = generated.map((g) => g.event);

function truthOf(list: readonly GeneratedEvent[]) {
  const truth = new GroundTruth();
  for (const g of list) truth.record(g.stage);
  return truth;
}

/** The event types of one order, in true order. */
function orderTypes(orderId: unknown): string[] {
  return events
    .filter(
      (e) =>
        e.event_type.startsWith('order:') && 'order_id' in e.data && e.data.order_id === orderId,
    )
    .map((e) => e.event_type);
}

/** The read model's state without its last-writer-wins bookkeeping. */
function visible(state: AggregateState | undefined): Record<string, unknown> | undefined {
  if (state === undefined) return undefined;
  const { field_versions: _f, attribute_versions: _a, ...rest } = state;
  return rest;
}

/** Per aggregate id, the visible state `evolve` folds from its events. */
function evolveFolds<S extends AggregateState>(model: ReadModel<S>, list: NovaMedEvent[]) {
  const byId = new Map<string, NovaMedEvent[]>();
  for (const event of list) {
    const id = model.idOf(event);
    if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), event]);
  }
  return (id: unknown) => visible(project(model, byId.get(String(id)) ?? [], String(id)));
}

describe('GroundTruth (the independent oracle over the sandbox plans)', () => {
  const truth = truthOf(generated);
  const snapshot = truth.snapshot();

  it('agrees, row for row, with what the read models fold from the same events', () => {
    expect(truth.events).toBe(events.length);
    expect(snapshot.orders.length).toBeGreaterThan(300);
    expect(snapshot.medication_requests).toHaveLength(300);
    expect(snapshot.refills.length).toBeGreaterThan(30);
    const order = evolveFolds(ordersReadModel, events);
    for (const row of snapshot.orders) expect(row).toEqual(order(row['order_id']));
    const request = evolveFolds(medicationRequestsReadModel, events);
    for (const row of snapshot.medication_requests) {
      expect(row).toEqual(request(row['medication_request_id']));
    }
    const refill = evolveFolds(refillsReadModel, events);
    for (const row of snapshot.refills) expect(row).toEqual(refill(row['refill_id']));
    expect(truth.counts()).toEqual({
      orders: snapshot.orders.length,
      medication_requests: snapshot.medication_requests.length,
      refills: snapshot.refills.length,
    });
  });

  it('does not depend on the order stages are recorded in, or on repeats', () => {
    const random = new Random(4);
    const shuffled = [...generated, ...generated.filter(() => random.chance(0.3))];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = random.int(0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    expect(truthOf(shuffled).snapshot()).toEqual(snapshot);
  });

  it('keeps cancelled over delivered, and the later refill decision', () => {
    const returned = snapshot.orders.filter(
      (o) => o['delivered_at'] !== null && o['cancelled_at'] !== null,
    );
    expect(returned.length).toBeGreaterThan(0);
    for (const order of returned) {
      expect(orderTypes(order['order_id']).at(-1)).toBe('order:cancelled');
      expect(order['status']).toBe('cancelled');
    }
    const decidedTwice = snapshot.refills.filter(
      (r) => r['approved_at'] !== null && r['denied_at'] !== null,
    );
    for (const refill of decidedTwice) {
      expect(refill['status']).toBe(
        String(refill['approved_at']) > String(refill['denied_at']) ? 'approved' : 'denied',
      );
    }
  });

  it('filters by clinic and clears', () => {
    const a = truth.snapshot(CLINIC_A);
    const b = truth.snapshot(CLINIC_B);
    expect(a.orders.length + b.orders.length).toBe(snapshot.orders.length);
    expect(a.orders.every((o) => o['clinic_id'] === CLINIC_A)).toBe(true);
    const other = truthOf(generated.slice(0, 10));
    other.clear();
    expect(other.snapshot()).toEqual({ orders: [], medication_requests: [], refills: [] });
    expect(other.events).toBe(0);
  });
});
