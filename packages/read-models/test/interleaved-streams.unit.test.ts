import { decodeEvent, type NovaMedEvent } from '@novamed-stream/events';
import { compareRows, type EntityKind } from '@novamed-stream/oracle';
import { generateEventMix } from '@novamed-stream/testkit';
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

const MODELS: [EntityKind, ReadModel<AggregateState>][] = [
  ['order', ordersReadModel as ReadModel<AggregateState>],
  ['medication_request', medicationRequestsReadModel as ReadModel<AggregateState>],
  ['refill', refillsReadModel as ReadModel<AggregateState>],
];

/**
 * Folds a stream the way the runtime does: one state per aggregate, each event applied to its
 * own aggregate's state in arrival order, an event_id applied once (the first copy).
 */
function foldStream<S extends AggregateState>(
  model: ReadModel<S>,
  stream: readonly NovaMedEvent[],
) {
  const states = new Map<string, S>();
  const seen = new Set<string>();
  for (const event of stream) {
    const id = model.idOf(event);
    if (id === undefined || seen.has(event.event_id)) continue;
    seen.add(event.event_id);
    states.set(id, model.evolve(states.get(id) ?? model.initial(id, event.clinic_id), event));
  }
  return states;
}

/** Fisher-Yates with fast-check's own random indexes, so a failure shrinks and replays. */
const permutationOf = <T>(items: readonly T[]) =>
  fc.array(fc.nat(), { minLength: items.length, maxLength: items.length }).map((keys) => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = (keys[i] as number) % (i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  });

/** Several aggregates' event sets, each under its own id and event_id prefix, in one list. */
function aggregates(kind: EntityKind, model: ReadModel<AggregateState>) {
  return fc.array(eventsOf(kind), { minLength: 8, maxLength: 40 }).map((lists) =>
    lists.flatMap((list, k) =>
      list.map((event) => {
        const data = { ...(event.data as Record<string, unknown>) };
        for (const key of ['order_id', 'medication_request_id', 'refill_id']) {
          if (data[key] === ID && key === model.idKey) data[key] = `agg_${k}`;
        }
        return { ...event, event_id: `${event.event_id}_${k}`, data } as NovaMedEvent;
      }),
    ),
  );
}

describe.each(MODELS)('%s: long interleaved streams', (kind, model) => {
  it(
    'hundreds of events of many aggregates, interleaved and redelivered, fold to each aggregate alone',
    () => {
      const scenario = aggregates(kind, model).chain((events) =>
        fc
          .subarray(events)
          .chain((again) => permutationOf([...events, ...again]))
          .map((stream) => ({ events, stream })),
      );
      fc.assert(
        fc.property(scenario, ({ events, stream }) => {
          const states = foldStream(model, stream);
          const ids = new Set(events.map((e) => model.idOf(e)).filter((id) => id !== undefined));
          expect([...states.keys()].sort()).toEqual([...ids].sort());
          for (const id of ids) expect(states.get(id)).toEqual(project(model, events, id));
        }),
        { numRuns: 40 },
      );
    },
    SLOW_MS,
  );

  it(
    'a realistic mix (hundreds of events, every kind interleaved) in any order with redeliveries gives the oracle rows',
    () => {
      const scenario = fc
        .record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          size: fc.integer({ min: 200, max: 900 }),
        })
        .chain(({ seed, size }) => {
          const mix = generateEventMix({ runId: `s${seed}`, messages: size, seed });
          const events = mix.messages.map((m) => {
            const decoded = decodeEvent(m.value);
            if (!decoded.ok) throw new Error(decoded.reason);
            return decoded.event;
          });
          return permutationOf(events).map((stream) => ({ mix, stream }));
        });
      fc.assert(
        fc.property(scenario, ({ mix, stream }) => {
          const rows = [...foldStream(model, stream).values()];
          expect(compareRows(kind, mix.plans.expectedRows(kind), rows)).toMatchObject({
            wrongRows: 0,
          });
        }),
        { numRuns: 15 },
      );
    },
    SLOW_MS,
  );
});
