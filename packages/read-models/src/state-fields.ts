import type { EventType } from '@novamed-stream/events';
import {
  type TInteger,
  type TLiteral,
  type TNull,
  type TRecord,
  type TSchema,
  type TString,
  type TUnion,
  Type,
} from '@sinclair/typebox';

/**
 * The Postgres column type of a state field. A column must accept every value the state can
 * hold, or one odd event would wedge the projector: partner values are `text`, `numeric` or
 * `jsonb` (never `date` or `integer`), and `timestamptz` only holds timestamps the read model
 * normalised itself. A subset of the runtime's `ColumnType` (lineage columns add the rest).
 */
export type StateColumnType = 'text' | 'numeric' | 'timestamptz' | 'jsonb';

/**
 * What the de-identified `analytics` view does with a state field (a limited data set in
 * HIPAA's sense); the `analytics_identified` tier always has every column. Explicit per field,
 * so a new field has to say what happens to it:
 * - `keep`: the column as it is;
 * - `drop`: left out (names, tracking numbers, free text, bookkeeping);
 * - `{ pseudonym: kind }`: `<kind>_pseudonym`, a keyed HMAC of the id, instead of the id;
 * - `{ zip5: prefix }`: an address as `<prefix>_city`, `<prefix>_state`, `<prefix>_zip5`;
 * - `allow-list`: a jsonb map of `data` keys reduced to the read model's allow-listed keys.
 */
export type Deidentify =
  | 'keep'
  | 'drop'
  | 'allow-list'
  | { readonly pseudonym: 'patient' | 'practitioner' }
  | { readonly zip5: string };

/** Where `evolve` reads a typed field from: a key of the event's `data`. */
export interface FieldSource {
  /** The `data` key, when it differs from the field name (`reason` -> `cancel_reason`). */
  readonly key?: string;
  /** When set, only events of this type write the field (e.g. `reason` of a cancellation). */
  readonly only?: EventType;
  /**
   * Whether a present value is usable for the typed field (`null` always is: it is a value).
   * Values of the wrong type (an unknown field of another event type) leave the typed field
   * alone; they are still kept in `attributes`.
   */
  readonly accepts: (value: unknown) => boolean;
}

/** The annotations every property of a state schema carries (TypeBox keeps them as keywords). */
export interface StateFieldAnnotations {
  /** The column type storing the field. */
  readonly column: StateColumnType;
  /** What the de-identified analytics view does with it. */
  readonly deidentify: Deidentify;
  /** The column comment analysts see in their SQL client. */
  readonly comment?: string;
  /** Set for the typed fields `evolve` takes from `data` (last writer wins). */
  readonly source?: FieldSource;
}

/** A state-schema property: a TypeBox schema with its {@link StateFieldAnnotations}. */
export type StateField<T extends TSchema = TSchema> = T & StateFieldAnnotations;

function annotate<T extends TSchema>(schema: T, annotations: StateFieldAnnotations): StateField<T> {
  return Object.assign(schema, annotations);
}

/** `accepts` for text fields. */
export const isString = (value: unknown): boolean => typeof value === 'string';
/** `accepts` for non-negative integer fields. */
export const isCount = (value: unknown): boolean => Number.isInteger(value) && Number(value) >= 0;
/** `accepts` for object fields (an address). */
export const isObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Options of a field read from `data`. */
export interface DataFieldOptions {
  readonly deidentify: Deidentify;
  readonly comment?: string;
  /** The `data` key, when it differs from the field name (`reason` -> `cancel_reason`). */
  readonly key?: string;
  /** Only events of this type write the field. */
  readonly only?: EventType;
}

function fromData(
  column: StateColumnType,
  options: DataFieldOptions,
  accepts: FieldSource['accepts'],
): StateFieldAnnotations {
  const { deidentify, comment, key, only } = options;
  return {
    column,
    deidentify,
    ...(comment === undefined ? {} : { comment }),
    source: {
      accepts,
      ...(key === undefined ? {} : { key }),
      ...(only === undefined ? {} : { only }),
    },
  };
}

/**
 * The builders of state-schema properties. A field read from `data` reads the key of its own
 * name unless `key` says otherwise, so each field is spelled once.
 */
export const field = {
  /** A text field from `data`, last writer wins. */
  text(options: DataFieldOptions): StateField<TUnion<[TString, TNull]>> {
    return annotate(Type.Union([Type.String(), Type.Null()]), fromData('text', options, isString));
  },
  /** A non-negative integer from `data`, stored as `numeric`, last writer wins. */
  count(options: DataFieldOptions): StateField<TUnion<[TInteger, TNull]>> {
    return annotate(
      Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
      fromData('numeric', options, isCount),
    );
  },
  /** An object from `data` (an address) kept whole as `jsonb`, last writer wins. */
  object<T extends TSchema>(schema: T, options: DataFieldOptions): StateField<TUnion<[T, TNull]>> {
    return annotate(Type.Union([schema, Type.Null()]), fromData('jsonb', options, isObject));
  },
  /** The earliest timestamp of a lifecycle stage (normalised ISO UTC); set by `stages`. */
  stageAt(comment?: string): StateField<TUnion<[TString, TNull]>> {
    const schema = Type.Union([Type.String(), Type.Null()]);
    return comment === undefined
      ? annotate(schema, { column: 'timestamptz', deidentify: 'keep' })
      : annotate(schema, { column: 'timestamptz', deidentify: 'keep', comment });
  },
};

/** The aggregate id property (the primary key; never null). */
export function idField(description: string): StateField<TString> {
  return annotate(Type.String({ description }), { column: 'text', deidentify: 'keep' });
}

/** The `status` property: one of `statuses`, or `null` before any event. */
export function statusField<const L extends string>(
  statuses: readonly L[],
): StateField<TUnion<[TUnion<TLiteral<L>[]>, TNull]>> {
  const literals = Type.Union(statuses.map((s) => Type.Literal(s)));
  return annotate(Type.Union([literals, Type.Null()]), {
    column: 'text',
    deidentify: 'keep',
    comment: 'lifecycle status: highest rank wins, terminal states win',
  });
}

const timestamp = (comment: string) =>
  annotate(Type.Union([Type.String(), Type.Null()]), {
    column: 'timestamptz',
    deidentify: 'keep',
    comment,
  });
const versions = (comment: string): StateField<TRecord<TString, TString>> =>
  annotate(Type.Record(Type.String(), Type.String()), {
    column: 'jsonb',
    deidentify: 'drop',
    comment,
  });

/** `clinic_id`, common to every state (see `AggregateState`); first after the id. */
export const CLINIC_ID_FIELD = annotate(Type.String(), {
  column: 'text',
  deidentify: 'keep',
  comment: 'envelope clinic_id, last writer wins',
});

/**
 * The bookkeeping fields common to every state (see `AggregateState`), last in a schema: the
 * event range, `attributes` and the versions of last-writer-wins.
 */
export const EVENT_FIELDS = {
  first_event_at: timestamp('earliest event timestamp'),
  last_event_at: timestamp('latest event timestamp'),
  last_event_id: annotate(Type.Union([Type.String(), Type.Null()]), {
    column: 'text',
    deidentify: 'keep',
    comment: 'event_id of the latest event (by timestamp, then event_id)',
  }),
  attributes: annotate(Type.Record(Type.String(), Type.Unknown()), {
    column: 'jsonb',
    deidentify: 'allow-list',
    comment: 'every data field ever sent, known or unknown, last writer wins per key',
  }),
  field_versions: versions('bookkeeping: timestamp|event_id that last wrote each field'),
  attribute_versions: versions('bookkeeping: timestamp|event_id that last wrote each attribute'),
};

/**
 * The fields every state shares, in the column order of the current-state tables (they come
 * first, before the model's own fields; a different order would change the table layout and
 * the logic fingerprint of every projector).
 */
export const COMMON_FIELD_NAMES = [
  'clinic_id',
  'status',
  'first_event_at',
  'last_event_at',
  'last_event_id',
  'attributes',
  'field_versions',
  'attribute_versions',
] as const;
