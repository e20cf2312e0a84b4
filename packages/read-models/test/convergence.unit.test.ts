import { type NovaMedEvent, validateEvent } from '@novamed-stream/events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AggregateState,
  medicationRequestsReadModel,
  ordersReadModel,
  project,
  type ReadModel,
  refillsReadModel,
} from '../src/index.js';
import { eventsOf, ID } from './arbitraries.js';

const RUNS = { numRuns: 300 };

function fold<S extends AggregateState>(model: ReadModel<S>, events: NovaMedEvent[], from?: S): S {
  return events.reduce(
    (state, event) => model.evolve(state, event),
    from ?? model.initial(ID, 'c0'),
  );
}

/** The events, plus some of them again, in a random order. */
const withRedeliveries = (events: NovaMedEvent[]) =>
  fc.subarray(events).chain((again) =>
    fc.shuffledSubarray([...events, ...again], {
      minLength: events.length + again.length,
      maxLength: events.length + again.length,
    }),
  );

const MODELS = [
  { model: ordersReadModel as ReadModel<AggregateState> },
  { model: medicationRequestsReadModel as ReadModel<AggregateState> },
  { model: refillsReadModel as ReadModel<AggregateState> },
];

describe.each(MODELS)('$model.name: the state is a function of the set of events', ({ model }) => {
  const events = eventsOf(model.aggregate);

  it('the generated events are valid events of the contract', () => {
    fc.assert(
      fc.property(events, (list) => {
        for (const event of list) expect(validateEvent(event).ok).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('the generated sets exercise every status, with several events per aggregate', () => {
    const states = fc.sample(events, { numRuns: 300, seed: 20261128 }).map((list) => ({
      own: list.filter((e) => model.idOf(e) === ID).length,
      status: fold(model, list).status,
    }));
    const statuses = new Set(states.map((s) => s.status));

    // A fixed seed: this checks the generator covers the ground, it must not flake.
    expect(states.filter((s) => s.own >= 3).length).toBeGreaterThan(120);
    expect(statuses.size).toBe(
      model.aggregate === 'refill' ? 4 : model.aggregate === 'order' ? 6 : 5,
    );
  });

  it('any permutation, with any duplicates, gives the same state (and the same JSON)', () => {
    const scenario = events.chain((list) =>
      withRedeliveries(list).map((delivered) => ({ list, delivered })),
    );
    fc.assert(
      fc.property(scenario, ({ list, delivered }) => {
        const expected = fold(model, list);
        const actual = fold(model, delivered);

        expect(actual).toEqual(expected);
        expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
        expect(project(model, delivered, ID) ?? model.initial(ID, 'c0')).toEqual(
          list.some((e) => model.idOf(e) === ID) ? expected : model.initial(ID, 'c0'),
        );
      }),
      RUNS,
    );
  });

  it('folding in two batches through a JSON row, with redeliveries, equals folding at once', () => {
    const scenario = events.chain((list) =>
      fc.record({
        list: fc.constant(list),
        delivered: withRedeliveries(list),
        split: fc.nat({ max: 2 * list.length }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ list, delivered, split }) => {
        const row = JSON.parse(JSON.stringify(fold(model, delivered.slice(0, split))));
        const resumed = fold(model, delivered.slice(split), row);

        expect(resumed).toEqual(fold(model, list));
      }),
      RUNS,
    );
  });

  it('applying an already-applied event again changes nothing (returns the same state)', () => {
    fc.assert(
      fc.property(events, (list) => {
        const state = fold(model, list);
        for (const event of list) expect(model.evolve(state, event)).toBe(state);
      }),
      RUNS,
    );
  });
});
