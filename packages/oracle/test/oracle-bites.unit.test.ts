import { decodeEvent, type NovaMedEvent } from '@novamed-stream/events';
import {
  type AggregateState,
  medicationRequestsReadModel,
  type OrderState,
  ordersReadModel,
  project,
  type ReadModel,
  refillsReadModel,
} from '@novamed-stream/read-models';
import { generateEventMix } from '@novamed-stream/testkit';
import { describe, expect, it } from 'vitest';
import { compareRows, type EntityKind } from '../src/index.js';

// Hundreds of events per run: seconds on a loaded 2-core machine, past the 5 s default.
const SLOW_MS = 60_000;

const mix = generateEventMix({ runId: 'bite', messages: 3000, seed: 11 });
/** The delivery stream: out of order, with redeliveries. */
const delivered: NovaMedEvent[] = mix.messages.map((m) => {
  const decoded = decodeEvent(m.value);
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.event;
});

/** The rows `model` ends with after folding the delivery stream, one per aggregate. */
function foldRows<S extends AggregateState>(model: ReadModel<S>): Record<string, unknown>[] {
  const byId = new Map<string, NovaMedEvent[]>();
  for (const event of delivered) {
    const id = model.idOf(event);
    if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), event]);
  }
  return [...byId].map(([id, events]) => ({ ...project(model, events, id) }));
}

/** The real orders read model with one planted wrong rule: a cancellation read as a delivery. */
const cancelledReadAsDelivered: ReadModel<OrderState> = {
  ...ordersReadModel,
  evolve: (state, event) =>
    ordersReadModel.evolve(
      state,
      event.event_type === 'order:cancelled'
        ? ({ ...event, event_type: 'order:delivered' } as NovaMedEvent)
        : event,
    ),
};

const models: [EntityKind, ReadModel<never>][] = [
  ['order', ordersReadModel as never],
  ['medication_request', medicationRequestsReadModel as never],
  ['refill', refillsReadModel as never],
];

describe('the oracle bites', () => {
  it(
    'the real rules agree with the oracle on every row of a generated mix',
    () => {
      for (const [kind, model] of models) {
        const expected = mix.plans.expectedRows(kind);
        expect(expected.length, kind).toBe(mix.aggregates[kind]);
        expect(compareRows(kind, expected, foldRows(model)), kind).toMatchObject({ wrongRows: 0 });
      }
    },
    SLOW_MS,
  );

  it(
    'a read model that treats order:cancelled as delivered fails the comparison',
    () => {
      const cancelled = mix.plans
        .plans('order')
        .filter((p) => p.stages.some((s) => s.stage === 'cancelled'));
      expect(cancelled.length).toBeGreaterThan(5);
      const result = compareRows(
        'order',
        mix.plans.expectedRows('order'),
        foldRows(cancelledReadAsDelivered),
      );
      expect(result.missing).toEqual([]);
      expect(result.mismatched.map((m) => m.id).sort()).toEqual(cancelled.map((p) => p.id).sort());
      for (const { columns } of result.mismatched) {
        expect(columns).toEqual(
          expect.arrayContaining(['status', 'cancelled_at', 'cancel_reason']),
        );
      }
    },
    SLOW_MS,
  );
});
