import type { AggregateKind, EventType, NovaMedEvent } from '@novamed-stream/events';
import { KindGuard } from '@sinclair/typebox';
import { normaliseTimestamp } from './event-version.js';
import type { AggregateState, AnnotatedSchema, ReadModel, StateSchema } from './read-model.js';

/** The event types of aggregate kind `A` (`order` -> `order:created` | ...). */
type EventTypeOf<A extends AggregateKind> = Extract<EventType, `${A}:${string}`>;

/** Keys of `S` holding `string | null`: the stage timestamp columns. */
type StageKey<S> = {
  [K in keyof S]: [S[K]] extends [string | null] ? (null extends S[K] ? K : never) : never;
}[keyof S] &
  string;

/** What one event type does to the status and which stage timestamp it sets. */
export interface StageSpec<S extends AggregateState> {
  /** The status this event type stands for. */
  readonly status: NonNullable<S['status']>;
  /**
   * Lifecycle rank: the candidate with the highest rank is the status; equal ranks fall back
   * to the later (timestamp, event_id). Terminal states get the top rank so they win over
   * every non-terminal one, whatever the timestamps.
   */
  readonly rank: number;
  /** The state field keeping the earliest timestamp of this stage. */
  readonly at: StageKey<S>;
}

/** A typed, last-writer-wins field read from `data`, as derived from the state schema. */
interface FieldSpec {
  /** The state field. */
  readonly field: string;
  /** The `data` key it is read from. */
  readonly key: string;
  readonly only?: EventType;
  readonly accepts: (value: unknown) => boolean;
}

/** Everything that distinguishes one read model from another. */
export interface ReadModelSpec<S extends AggregateState, A extends AggregateKind> {
  readonly name: ReadModel<S>['name'];
  readonly aggregate: A;
  /** The `data` key naming the aggregate id; the state holds the id under the same name. */
  readonly idKey: keyof S & string;
  /**
   * The state schema: one annotated property per state field (see `field`). The typed fields
   * `evolve` reads from `data`, `initial` and (in the projectors) the columns and the analytics
   * view are derived from it.
   */
  readonly schema: StateSchema<S>;
  readonly stages: { readonly [T in EventTypeOf<A>]: StageSpec<S> };
}

/** The typed fields of `schema`: the properties with a `source`, in schema order. */
function dataFields(schema: AnnotatedSchema): FieldSpec[] {
  return Object.entries(schema.properties).flatMap(([name, property]) => {
    const from = property.source;
    if (from === undefined) return [];
    const key = from.key ?? name;
    return [
      from.only === undefined
        ? { field: name, key, accepts: from.accepts }
        : { field: name, key, only: from.only, accepts: from.accepts },
    ];
  });
}

/**
 * The state before any event, from the schema: the id and `clinic_id` as given, maps (TypeBox
 * records: `attributes` and the versions) empty, every other field `null`.
 */
function initialState<S extends AggregateState>(
  schema: AnnotatedSchema,
  idKey: string,
): (id: string, clinicId: string) => S {
  const names = Object.keys(schema.properties);
  const maps = new Set(names.filter((n) => KindGuard.IsRecord(schema.properties[n])));
  return (id, clinicId) => {
    const state: Json = {};
    for (const name of names) {
      const value =
        name === idKey ? id : name === 'clinic_id' ? clinicId : maps.has(name) ? {} : null;
      setOwn(state, name, value);
    }
    return state as S;
  };
}

type Json = Record<string, unknown>;

/** Own-property read, so keys such as `__proto__` or `constructor` are plain data. */
function getOwn<V>(record: Record<string, V>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Own-property write that also works for the key `__proto__`. */
function setOwn(record: Json, key: string, value: unknown): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** A copy with keys in code-unit order, so the JSON text does not depend on arrival order. */
function sortedKeys<V>(record: Record<string, V>): Record<string, V> {
  const sorted: Json = {};
  for (const key of Object.keys(record).sort()) setOwn(sorted, key, record[key]);
  return sorted as Record<string, V>;
}

/** A deep copy of a JSON value, so the state never shares objects with an event. */
function copyJson(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

/** True when `version` is newer than the version stored for `key`. */
function isNewer(versions: Record<string, string>, key: string, version: string): boolean {
  return version > (getOwn(versions, key) ?? '');
}

/**
 * Into `patch`: the stage's timestamp (the earliest event of that stage), the first and the last
 * event; min and max are order-independent.
 */
function patchTimeline(
  state: AggregateState,
  stageAt: string,
  at: string,
  eventId: string,
  patch: Json,
): void {
  const current = (state as unknown as Json)[stageAt] as string | null;
  if (current === null || at < current) patch[stageAt] = at;
  if (state.first_event_at === null || at < state.first_event_at) patch['first_event_at'] = at;
  const version = `${at}|${eventId}`;
  const last = state.last_event_at === null ? '' : `${state.last_event_at}|${state.last_event_id}`;
  if (version > last) {
    patch['last_event_at'] = at;
    patch['last_event_id'] = eventId;
  }
}

/** Into `patch`: every `data` key into `attributes`, the last writer winning per key. */
function patchAttributes(state: AggregateState, data: Json, version: string, patch: Json): void {
  let attributes: Json | undefined;
  let attributeVersions: Record<string, string> | undefined;
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    if (!isNewer(attributeVersions ?? state.attribute_versions, key, version)) continue;
    attributes ??= { ...state.attributes };
    attributeVersions ??= { ...state.attribute_versions };
    setOwn(attributes, key, copyJson(value));
    setOwn(attributeVersions, key, version);
  }
  if (attributes !== undefined && attributeVersions !== undefined) {
    patch['attributes'] = sortedKeys(attributes);
    patch['attribute_versions'] = sortedKeys(attributeVersions);
  }
}

/**
 * Builds a {@link ReadModel} from a spec. Every rule is a max or a min over a total order
 * (lifecycle rank, then `<timestamp>|<event_id>`), which is what makes `evolve` commutative,
 * associative over sets and idempotent.
 */
export function defineReadModel<S extends AggregateState, A extends AggregateKind>(
  spec: ReadModelSpec<S, A>,
): ReadModel<S> {
  const schema: AnnotatedSchema = spec.schema;
  const fields = dataFields(schema);
  const initial = initialState<S>(schema, spec.idKey);
  const stages: Partial<Record<string, StageSpec<S>>> = spec.stages;
  const rankOf = new Map<string, number>(
    Object.values<StageSpec<S>>(spec.stages).map((stage) => [stage.status, stage.rank]),
  );

  function idOf(event: NovaMedEvent): string | undefined {
    if (!Object.hasOwn(stages, event.event_type)) return undefined;
    const id = getOwn(event.data as Json, spec.idKey);
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  }

  function evolve(state: S, event: NovaMedEvent): S {
    const stage = stages[event.event_type];
    const id = idOf(event);
    if (stage === undefined || id === undefined || id !== state[spec.idKey]) return state;

    const at = normaliseTimestamp(event.timestamp);
    const version = `${at}|${event.event_id}`;
    const data = event.data as Json;
    const patch: Json = {};
    const fieldVersions: Record<string, string> = { ...state.field_versions };
    let fieldsChanged = false;

    const write = (field: string, value: unknown) => {
      if (!isNewer(fieldVersions, field, version)) return;
      patch[field] = copyJson(value);
      setOwn(fieldVersions, field, version);
      fieldsChanged = true;
    };

    // Status: highest rank wins; equal rank -> the later (timestamp, event_id).
    const currentRank = state.status === null ? 0 : (rankOf.get(state.status) ?? 0);
    if (
      stage.rank > currentRank ||
      (stage.rank === currentRank && isNewer(fieldVersions, 'status', version))
    ) {
      patch['status'] = stage.status;
      setOwn(fieldVersions, 'status', version);
      fieldsChanged = true;
    }

    patchTimeline(state, stage.at, at, event.event_id, patch);

    write('clinic_id', event.clinic_id);
    for (const field of fields) {
      if (field.only !== undefined && field.only !== event.event_type) continue;
      const value = getOwn(data, field.key);
      // Absent does not overwrite; an explicit null does.
      if (value === undefined || (value !== null && !field.accepts(value))) continue;
      write(field.field, value);
    }

    if (fieldsChanged) patch['field_versions'] = sortedKeys(fieldVersions);
    patchAttributes(state, data, version, patch);
    return Object.keys(patch).length === 0 ? state : ({ ...state, ...patch } as S);
  }

  return {
    name: spec.name,
    aggregate: spec.aggregate,
    idKey: spec.idKey,
    schema,
    idOf,
    initial,
    evolve,
  };
}
