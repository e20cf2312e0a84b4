import type { NovaMedEvent } from '@novamed-stream/events';
import type { AggregateState } from '@novamed-stream/read-models';
import { type Kysely, sql } from 'kysely';
import type { ProjectorDefinition } from './projector-definition.js';
import { LINEAGE_COLUMNS, toColumn } from './read-model-table.js';

// The two multi-row statements a projector version's tables are written with. The runtime
// (apply-batch.ts) and the benchmarks' baselines share them, so a comparison measures only
// the runtime's extra work.

/** Any Kysely connection or transaction (the statements are raw SQL on any schema). */
// biome-ignore lint/suspicious/noExplicitAny: raw SQL only, on the version's own schema.
type AnyDb = Kysely<any>;

/** One event to record in a history table. */
export interface HistoryRow {
  event: NovaMedEvent;
  /** The aggregate id. */
  id: string;
  offset: string;
  receivedAt: string | null;
}

/** One current-state row to write. */
export interface StateRow<S extends AggregateState> {
  id: string;
  state: S;
  eventsApplied: number;
  /** Offset of the last message folded into it. */
  offset: string;
}

/**
 * One UNNEST insert into the history table, `ON CONFLICT (event_id) DO NOTHING`; returns the
 * event_ids that were new (empty when `returning` is false).
 */
export async function insertHistoryRows<S extends AggregateState>(
  db: AnyDb,
  definition: ProjectorDefinition<S>,
  schema: string,
  source: { topic: string; partition: number },
  rows: readonly HistoryRow[],
  returning = true,
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { table } = definition;
  const result = await sql<{ event_id: string }>`
    insert into ${sql.table(`${schema}.${table.eventsTable}`)}
      (event_id, ${sql.ref(table.idColumn)}, event_type, event_timestamp, clinic_id, received_at,
       topic, partition, "offset", data)
    select e, a, ty, ts, c, r, ${source.topic}::text, ${source.partition}::integer, o, d
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

/** One UNNEST upsert of current-state rows (every column, lineage included). */
export async function upsertStateRows<S extends AggregateState>(
  db: AnyDb,
  definition: ProjectorDefinition<S>,
  schema: string,
  partition: number,
  rows: readonly StateRow<S>[],
): Promise<void> {
  if (rows.length === 0) return;
  const { table } = definition;
  const columns = table.columns;
  const names = [
    table.idColumn,
    ...columns.map((c) => c.name),
    ...LINEAGE_COLUMNS.map((c) => c.name),
  ];
  const aliases = ['id', ...columns.map((_, i) => `c${i}`), 'events_applied', 'source_offset'];
  const arrays = [
    sql`${rows.map((r) => r.id)}::text[]`,
    ...columns.map((column) => {
      const values = rows.map((r) =>
        toColumn(column.type, (r.state as Record<string, unknown>)[column.name]),
      );
      return sql`${values}::${sql.raw(column.type)}[]`;
    }),
    sql`${rows.map((r) => r.eventsApplied)}::integer[]`,
    sql`${rows.map((r) => r.offset)}::bigint[]`,
  ];
  const selected = [
    ...aliases.slice(0, -1).map((a) => sql.ref(`u.${a}`)),
    sql`${partition}::integer`,
    sql.ref('u.source_offset'),
    sql`now()`,
  ];
  const updates = names
    .filter((n) => n !== table.idColumn)
    .map((n) => sql`${sql.ref(n)} = excluded.${sql.ref(n)}`);
  await sql`
    insert into ${sql.table(`${schema}.${table.stateTable}`)}
      (${sql.join(names.map((n) => sql.ref(n)))})
    select ${sql.join(selected)}
    from unnest(${sql.join(arrays)}) as u(${sql.join(aliases.map((a) => sql.ref(a)))})
    on conflict (${sql.ref(table.idColumn)}) do update set ${sql.join(updates)}`.execute(db);
}
