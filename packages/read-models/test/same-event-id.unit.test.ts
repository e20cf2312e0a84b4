import type { NovaMedEvent } from '@novamed-stream/events';
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

// Hundreds of events per run: seconds on a loaded 2-core machine, past the 5 s default.
const SLOW_MS = 60_000;

const MODELS = [
  ordersReadModel as ReadModel<AggregateState>,
  medicationRequestsReadModel as ReadModel<AggregateState>,
  refillsReadModel as ReadModel<AggregateState>,
];

/**
 * The rule (docs/topic-contract.md): an event_id takes effect once, with the body of the copy
 * applied first. A copy with the same event_id and a different body (another stage, other
 * values, another time) changes nothing once the first was applied.
 */
describe.each(MODELS)('$name: the same event_id with a different body', (model) => {
  const scenario = eventsOf(model.aggregate)
    .filter((list) => list.some((e) => model.idOf(e) === ID))
    .chain((list) => {
      const own = list.filter((e) => model.idOf(e) === ID);
      return fc.record({
        list: fc.constant(list),
        // Bodies for some of the aggregate's event_ids, taken from other events of it.
        variants: fc.array(
          fc.record({
            original: fc.constantFrom(...own),
            body: fc.constantFrom(...own),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        at: fc.nat(),
      });
    })
    .map(({ list, variants, at }) => {
      const copies = variants.map(
        ({ original, body }) => ({ ...body, event_id: original.event_id }) as NovaMedEvent,
      );
      return { list, copies, at };
    });

  it(
    'a copy after the original changes nothing: the first applied wins',
    () => {
      fc.assert(
        fc.property(scenario, ({ list, copies, at }) => {
          // Each copy somewhere after its original (and after any earlier copy of it).
          const stream = [...list];
          for (const [i, copy] of copies.entries()) {
            const after = stream.findIndex((e) => e.event_id === copy.event_id) + 1;
            stream.splice(after + ((at + i) % (stream.length - after + 1)), 0, copy);
          }
          expect(project(model, stream, ID)).toEqual(project(model, list, ID));
        }),
        { numRuns: 200 },
      );
    },
    SLOW_MS,
  );

  it(
    'a copy before the original wins instead: which body counts is the stream order',
    () => {
      fc.assert(
        fc.property(scenario, ({ list, copies }) => {
          const first = new Map<string, NovaMedEvent>();
          for (const c of copies) if (!first.has(c.event_id)) first.set(c.event_id, c);
          const replaced = list.map((e) => first.get(e.event_id) ?? e);
          expect(project(model, [...copies, ...list], ID)).toEqual(project(model, replaced, ID));
        }),
        { numRuns: 200 },
      );
    },
    SLOW_MS,
  );
});
