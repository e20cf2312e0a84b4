import type { NovaMedEvent } from '@novamed-stream/events';
import type { AggregateState, ReadModel } from './read-model.js';

/**
 * Folds a list of events into the state of one aggregate, from `model.initial`, after dropping
 * repeated event_ids (the first occurrence is kept) and events the model does not handle.
 * Without `id`, every handled event must name the same aggregate (else it throws: that is a
 * caller's bug); with `id`, events of other aggregates are ignored. Returns `undefined` when no
 * event concerns the aggregate. The result does not depend on the order of `events`.
 */
export function project<S extends AggregateState>(
  model: ReadModel<S>,
  events: Iterable<NovaMedEvent>,
  id?: string,
): S | undefined {
  const seen = new Set<string>();
  const handled: NovaMedEvent[] = [];
  let target = id;
  for (const event of events) {
    if (seen.has(event.event_id)) continue;
    seen.add(event.event_id);
    const eventId = model.idOf(event);
    if (eventId === undefined) continue;
    if (target === undefined) target = eventId;
    if (eventId === target) handled.push(event);
    else if (id === undefined) {
      throw new Error(`project(${model.name}): events of several aggregates and no id given`);
    }
  }
  const first = handled[0];
  if (target === undefined || first === undefined) return undefined;
  return handled.reduce(model.evolve, model.initial(target, first.clinic_id));
}
