import type { NovaMedEvent } from '@novamed-stream/events';
import {
  LINEAGE_COLUMNS,
  type ProjectorDefinition,
  toColumn,
  versionSchema,
} from '@novamed-stream/projection';
import type { AggregateState } from '@novamed-stream/read-models';
import { type Kysely, sql } from 'kysely';

// The baselines write the same tables, columns and lineage as the runtime (apply-batch.ts),
// with the same UNNEST statements, so the comparison measures the runtime's extra work only.

/** Any Kysely connection or transaction. */
// biome-ignore lint/suspicious/noExplicitAny: the baselines use raw SQL only, on any schema.
export type AnyDb = Kysely<any>;

/** One event to record in a history table. */
export interface HistoryRow {
  event: NovaMedEvent;
  id: string;
  offset: string;
  receivedAt: string | null;
}

/** One current-state row to write. */
export interface StateRow<S extends AggregateState> {
  id: string;
  state: S;
  eventsApplied: number;
  partition: number;
  offset: string;
}

/**
 * One multi-row insert into the history table, `ON CONFLICT (event_id) DO NOTHING`; returns
 * the event_ids that were new when `returning` is set.
 */
export async function insertHistory<S extends AggregateState>(
  db: AnyDb,
  definition: ProjectorDefinition<S>,
  version: number,
  topic: string,
  partition: number,
  rows: readonly HistoryRow[],
  returning: boolean,
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { table } = definition;
  const schema = versionSchema(definition.name, version);
  const result = await sql<{ event_id: string }>`
    insert into ${sql.table(`${schema}.${table.eventsTable}`)}
      (event_id, ${sql.ref(table.idColumn)}, event_type, event_timestamp, clinic_id, received_at,
       topic, partition, "offset", data)
    select e, a, ty, ts, c, r, ${topic}::text, ${partition}::integer, o, d
    from unnest(
      ${rows.map((c) => c.event.event_id)}::text[],
      ${rows.map((c) => c.id)}::text[],
      ${rows.map((c) => c.event.event_type)}::text[],
      ${rows.map((c) => c.event.timestamp)}::timestamptz[],
      ${rows.map((c) => c.event.clinic_id)}::text[],
      ${rows.map((c) => c.receivedAt)}::timestamptz[],
      ${rows.map((c) => c.offset)}::bigint[],
      ${rows.map((c) => JSON.stringify(c.event.data))}::jsonb[]
    ) as u(e, a, ty, ts, c, r, o, d)
    on conflict (event_id) do nothing
    ${returning ? sql`returning event_id` : sql``}`.execute(db);
  return new Set(result.rows.map((r) => r.event_id));
}

/** One multi-row upsert of current-state rows (every column, lineage included). */
export async function upsertStates<S extends AggregateState>(
  db: AnyDb,
  definition: ProjectorDefinition<S>,
  version: number,
  rows: readonly StateRow<S>[],
): Promise<void> {
  if (rows.length === 0) return;
  const { table } = definition;
  const schema = versionSchema(definition.name, version);
  const columns = table.columns;
  const names = [
    table.idColumn,
    ...columns.map((c) => c.name),
    ...LINEAGE_COLUMNS.map((c) => c.name),
  ];
  const aliases = [
    'id',
    ...columns.map((_, i) => `c${i}`),
    'events_applied',
    'source_partition',
    'source_offset',
  ];
  const arrays = [
    sql`${rows.map((r) => r.id)}::text[]`,
    ...columns.map((column) => {
      const values = rows.map((r) =>
        toColumn(column.type, (r.state as Record<string, unknown>)[column.name]),
      );
      return sql`${values}::${sql.raw(column.type)}[]`;
    }),
    sql`${rows.map((r) => r.eventsApplied)}::integer[]`,
    sql`${rows.map((r) => r.partition)}::integer[]`,
    sql`${rows.map((r) => r.offset)}::bigint[]`,
  ];
  const updates = names
    .filter((n) => n !== table.idColumn)
    .map((n) => sql`${sql.ref(n)} = excluded.${sql.ref(n)}`);
  await sql`
    insert into ${sql.table(`${schema}.${table.stateTable}`)}
      (${sql.join(names.map((n) => sql.ref(n)))})
    select ${sql.join(aliases.map((a) => sql.ref(`u.${a}`)))}, now()
    from unnest(${sql.join(arrays)}) as u(${sql.join(aliases.map((a) => sql.ref(a)))})
    on conflict (${sql.ref(table.idColumn)}) do update set ${sql.join(updates)}`.execute(db);
}
