import { pseudonymSql } from '@novamed-stream/db';
import {
  type AnalyticsView,
  type ColumnSpec,
  LINEAGE_COLUMNS,
  type ProjectorDefinition,
} from '@novamed-stream/projection';
import {
  type AggregateState,
  type AnnotatedSchema,
  COMMON_FIELD_NAMES,
  type Deidentify,
  type ReadModel,
  type StateField,
} from '@novamed-stream/read-models';
import { addressText, addressZip5, allowListedJson } from './limited-data-set-sql.js';

/** What a projector adds to its read model: names, the allow-list and the extra views. */
export interface ProjectorSpec<S extends AggregateState> {
  /** The read model; its name names the projector and its current-state table. */
  readonly readModel: ReadModel<S>;
  /** The event-history table, e.g. `order_events`. */
  readonly eventsTable: string;
  /**
   * The `data` keys analysts see (in `attributes` and an event's `data`): an allow-list, so a
   * field NovaMed adds later stays out until someone adds it here. A key of a field the schema
   * drops or pseudonymises must not be in it (a unit test checks).
   */
  readonly analyticsFields: readonly string[];
  /** Comments of the two derived views (the state table's and the history table's). */
  readonly comments: { readonly state: string; readonly events: string };
  /** Further de-identified views (funnels, durations), after the two derived ones. */
  readonly views?: readonly AnalyticsView[];
}

type Entry = readonly [string, StateField];

/**
 * The current-state columns: every state field but the id, the common ones first (the table
 * layout the logic fingerprint and existing versions were built with), then the model's own.
 */
export function stateColumns(schema: AnnotatedSchema, idKey: string): ColumnSpec[] {
  const common: readonly string[] = COMMON_FIELD_NAMES;
  const entries: Entry[] = Object.entries(schema.properties).filter(([name]) => name !== idKey);
  const ordered = [
    ...common.flatMap((name) => entries.filter(([n]) => n === name)),
    ...entries.filter(([name]) => !common.includes(name)),
  ];
  return ordered.map(([name, field]) =>
    field.comment === undefined
      ? { name, type: field.column }
      : { name, type: field.column, comment: field.comment },
  );
}

/** The select-list items of a state field in the de-identified view (none when dropped). */
function deidentifiedColumn(
  name: string,
  rule: Deidentify,
  analyticsFields: readonly string[],
): string[] {
  if (rule === 'keep') return [name];
  if (rule === 'drop') return [];
  if (rule === 'allow-list') return [`${allowListedJson(name, analyticsFields)} as ${name}`];
  if ('pseudonym' in rule) {
    return [`${pseudonymSql(rule.pseudonym, name)} as ${rule.pseudonym}_pseudonym`];
  }
  return [
    `${addressText(name, 'city')} as ${rule.zip5}_city`,
    `${addressText(name, 'state')} as ${rule.zip5}_state`,
    `${addressZip5(name)} as ${rule.zip5}_zip5`,
  ];
}

/**
 * The SELECT of `analytics.<state table>`: the state fields in schema order, each as its
 * `deidentify` rule says, then the runtime's lineage columns.
 */
export function stateViewSelect(
  schema: AnnotatedSchema,
  analyticsFields: readonly string[],
  table: string,
): (schema: string) => string {
  const items = [
    ...Object.entries(schema.properties).flatMap(([name, field]) =>
      deidentifiedColumn(name, field.deidentify, analyticsFields),
    ),
    ...LINEAGE_COLUMNS.map((c) => c.name),
  ];
  return (s) => `
        select ${items.join(',\n               ')}
        from ${s}.${table}`;
}

/**
 * The SELECT of `analytics.<events table>`: the history columns, a pseudonym for each field the
 * schema pseudonymises (read from the event's `data`), and the allow-listed `data`.
 */
export function eventsViewSelect(
  schema: AnnotatedSchema,
  idKey: string,
  analyticsFields: readonly string[],
  table: string,
): (schema: string) => string {
  const pseudonyms = Object.entries(schema.properties).flatMap(([name, field]) => {
    const rule = field.deidentify;
    if (typeof rule === 'string' || !('pseudonym' in rule)) return [];
    const key = (field.source?.key ?? name).replaceAll("'", "''");
    return [`${pseudonymSql(rule.pseudonym, `data ->> '${key}'`)} as ${rule.pseudonym}_pseudonym`];
  });
  const items = [
    'event_id',
    idKey,
    'event_type',
    'event_timestamp',
    'clinic_id',
    'received_at',
    'topic',
    'partition',
    '"offset"',
    ...pseudonyms,
    `${allowListedJson('data', analyticsFields)} as data`,
    'recorded_at',
  ];
  return (s) => `
        select ${items.join(',\n               ')}
        from ${s}.${table}`;
}

/**
 * A projector from its read model: the table (columns from the state schema), the two derived
 * de-identified views (state and history, from the schema's `deidentify` rules) and the extra
 * views. The runtime derives the identified tier (`analytics_identified`) from the columns.
 */
export function defineProjector<S extends AggregateState>(
  spec: ProjectorSpec<S>,
): ProjectorDefinition<S> {
  const { readModel, eventsTable, analyticsFields } = spec;
  const { schema, idKey, name } = readModel;
  return {
    name,
    readModel,
    table: {
      stateTable: name,
      eventsTable,
      idColumn: idKey,
      columns: stateColumns(schema, idKey),
    },
    views: [
      {
        name,
        comment: spec.comments.state,
        select: stateViewSelect(schema, analyticsFields, name),
      },
      {
        name: eventsTable,
        comment: spec.comments.events,
        select: eventsViewSelect(schema, idKey, analyticsFields, eventsTable),
      },
      ...(spec.views ?? []),
    ],
  };
}
