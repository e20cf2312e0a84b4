import type { NovaMedEvent } from '@novamed-stream/events';
import type { StateField } from './state-fields.js';

/**
 * What every read model's state has in common. All fields are JSON-safe (strings, numbers,
 * plain objects, explicit `null`s, never `undefined`), so a state survives a JSON or Postgres
 * row round trip unchanged. Field names are snake_case and map 1:1 to columns.
 *
 * The state is a pure function of the SET of events applied: it holds no counter and no
 * arrival order, so any permutation of the same events, with duplicates, gives a deep-equal
 * state (and the same `JSON.stringify` output).
 */
export interface AggregateState {
  /** The clinic the aggregate belongs to: the envelope's `clinic_id`, last writer wins. */
  clinic_id: string;
  /** The lifecycle status (see each model); `null` only before any event was applied. */
  status: string | null;
  /** Earliest event timestamp seen (normalised ISO UTC, ms precision); `null` before any event. */
  first_event_at: string | null;
  /** Timestamp of the latest event by (timestamp, event_id); `null` before any event. */
  last_event_at: string | null;
  /** event_id of the latest event by (timestamp, event_id); `null` before any event. */
  last_event_id: string | null;
  /**
   * Every top-level `data` field of every applied event, known or unknown, each last writer
   * wins by (timestamp, event_id); nested objects are kept whole. Keys are kept sorted.
   */
  attributes: Record<string, unknown>;
  /**
   * Bookkeeping for last-writer-wins of the typed fields, `status` and `clinic_id`: field name
   * to the version `<ISO UTC timestamp>|<event_id>` of the event that last wrote it. Needed to
   * fold further events into a stored state. Keys are kept sorted.
   */
  field_versions: Record<string, string>;
  /** The same bookkeeping for `attributes`, one version per attribute key. Keys sorted. */
  attribute_versions: Record<string, string>;
}

/**
 * A read model's state schema as the runtime and the projectors read it: a TypeBox object
 * whose properties are annotated ({@link StateField}), in the column order of the
 * de-identified analytics view.
 */
export interface AnnotatedSchema {
  readonly properties: Readonly<Record<string, StateField>>;
}

/** A state schema with an annotated property for every field of `S` (checked at compile time). */
export interface StateSchema<S extends AggregateState> {
  readonly properties: { readonly [K in keyof S & string]-?: StateField };
}

/**
 * A pure, convergent projection in emmett's style: an initial state plus `evolve`. No I/O; the
 * runtime loads a row (or takes `initial`), folds the events of one aggregate, saves the row.
 */
export interface ReadModel<S extends AggregateState> {
  /** The read model's name (the runtime names its tables after it). */
  readonly name: 'orders' | 'medication_requests' | 'refills';
  /** The aggregate kind whose events this read model handles. */
  readonly aggregate: 'order' | 'medication_request' | 'refill';
  /** The state field holding the aggregate id (also the `data` key it is read from). */
  readonly idKey: string;
  /** The one definition of the state: every field with its column and de-identification. */
  readonly schema: AnnotatedSchema;
  /**
   * The aggregate id this event changes, or undefined when this read model does not handle it
   * (other aggregate, or no id).
   */
  idOf(event: NovaMedEvent): string | undefined;
  /** The state of aggregate `id` before any event: every field `null`, maps empty. */
  initial(id: string, clinicId: string): S;
  /**
   * Applies one event. Pure: never mutates `state` or `event`, and returns `state` itself when
   * the event changes nothing (an event already applied, another aggregate's event, or an event
   * whose every write is older than what the state holds).
   */
  evolve(state: S, event: NovaMedEvent): S;
}
