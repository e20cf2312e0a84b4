import type { Database } from '@novamed-stream/db';
import type { ProjectorDefinition } from '@novamed-stream/projection';
import type { AggregateState } from '@novamed-stream/read-models';
import { type Kysely, sql } from 'kysely';

/** What {@link versionDigest} returns. */
export interface VersionDigest {
  rows: number;
  applied: number;
  history: number;
  md5: string;
}

/**
 * Row count, events_applied sum, history row count and an md5 over every state row (all
 * columns, by id) of one version: equal digests mean equal read models.
 */
export async function versionDigest(
  db: Kysely<Database>,
  definition: ProjectorDefinition<AggregateState>,
  version: number,
): Promise<VersionDigest> {
  const schema = `${definition.name}_v${version}`;
  const { table } = definition;
  const columns = [table.idColumn, ...table.columns.map((c) => c.name), 'events_applied'];
  const row = sql.join(
    columns.map((c) => sql`coalesce(${sql.ref(c)}::text, '~')`),
    sql` || '|' || `,
  );
  const result = await sql<{
    rows: string;
    applied: string | null;
    md5: string | null;
    history: string;
  }>`
    select count(*)::text as rows, sum(events_applied)::text as applied,
           md5(string_agg(${row}, ',' order by ${sql.ref(table.idColumn)})) as md5,
           (select count(*)::text from ${sql.table(`${schema}.${table.eventsTable}`)}) as history
    from ${sql.table(`${schema}.${table.stateTable}`)}`.execute(db);
  const r = result.rows[0]!;
  return {
    rows: Number(r.rows),
    applied: Number(r.applied ?? 0),
    history: Number(r.history),
    md5: r.md5 ?? '',
  };
}
