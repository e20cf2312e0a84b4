/** Postgres column types a read-model state field can map to. */
/**
 * Postgres column types a read-model state field can map to. A column must accept every value
 * the state can hold, or one odd event would wedge the projector: partner values are stored
 * as `text` or `numeric` (never `date` or `integer`), and `timestamptz` only holds timestamps
 * the read model normalised itself.
 */
export type ColumnType = 'text' | 'numeric' | 'integer' | 'bigint' | 'timestamptz' | 'jsonb';

/** One state field stored as a column of the same name. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** Documented in the table's column comment, so analysts see it in their SQL client. */
  readonly comment?: string;
}

/**
 * How a read model's state is stored: a current-state table (one row per aggregate, the
 * state's fields as columns plus lineage) and an event-history table (one row per distinct
 * event_id), both inside the projector version's own schema.
 */
export interface ReadModelTable {
  /** Current-state table name, e.g. `orders`. */
  readonly stateTable: string;
  /** Event-history table name, e.g. `order_events`. */
  readonly eventsTable: string;
  /** The id column, e.g. `order_id`; also the state field holding the aggregate id. */
  readonly idColumn: string;
  /** Every state field except the id, in column order. */
  readonly columns: readonly ColumnSpec[];
}

/** Lineage columns the runtime adds to every current-state row. */
export const LINEAGE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'events_applied', type: 'integer', comment: 'distinct events folded into this row' },
  { name: 'source_partition', type: 'integer', comment: 'partition of the last message applied' },
  { name: 'source_offset', type: 'bigint', comment: 'offset of the last message applied' },
  { name: 'updated_at', type: 'timestamptz', comment: 'when the projector last wrote this row' },
];

/** Converts a value read from Postgres back to the JSON-safe form the state uses. */
export function fromColumn(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'timestamptz':
      return new Date(value as string | Date).toISOString();
    case 'integer':
    case 'numeric':
      return Number(value);
    case 'bigint':
      return String(value);
    case 'jsonb':
      return typeof value === 'string' ? JSON.parse(value) : value;
    case 'text':
      return String(value);
  }
}

/** Converts a state value to the text form sent as an element of a typed array parameter. */
export function toColumn(type: ColumnType, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'jsonb':
      return JSON.stringify(value);
    case 'integer':
      return Number(value);
    default:
      return String(value);
  }
}
