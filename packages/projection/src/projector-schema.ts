import type { Database } from '@novamed-stream/db';
import type { AggregateState } from '@novamed-stream/read-models';
import { type Kysely, sql, type Transaction } from 'kysely';
import { deleteCheckpoints } from './checkpoint-store.js';
import { logicFingerprint } from './logic-fingerprint.js';
import { type ProjectorDefinition, versionSchema } from './projector-definition.js';
import { LINEAGE_COLUMNS } from './read-model-table.js';
import {
  deleteVersionRow,
  findVersion,
  insertBuildingVersion,
  markVersionLive,
} from './version-store.js';

type Db = Kysely<Database>;

/** Bookkeeping columns analysts do not need; the analytics views leave them out. */
const HIDDEN_COLUMNS = new Set(['field_versions', 'attribute_versions']);

/**
 * Creates (if missing) version `version` of a projector's tables in their own schema
 * (`orders_v1.orders`, `orders_v1.order_events`) and registers the version as `building`
 * (with the {@link logicFingerprint} of `definition`) unless it is already known. Idempotent.
 */
export async function ensureVersionTables<S extends AggregateState>(
  db: Db,
  definition: ProjectorDefinition<S>,
  version: number,
): Promise<string> {
  const schema = versionSchema(definition.name, version);
  const { table } = definition;
  const state = sql.table(`${schema}.${table.stateTable}`);
  const events = sql.table(`${schema}.${table.eventsTable}`);
  const id = sql.ref(table.idColumn);
  await db.transaction().execute(async (trx) => {
    // Serialise concurrent starts of the same projector (two instances, or a rebuild).
    await sql`select pg_advisory_xact_lock(hashtext(${schema}))`.execute(trx);
    await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
    const columns = [...table.columns, ...LINEAGE_COLUMNS].map(
      (c) =>
        sql`${sql.ref(c.name)} ${sql.raw(c.type)}${c.name === 'events_applied' ? sql` not null default 0` : sql``}`,
    );
    await sql`create table if not exists ${state} (
      ${id} text primary key,
      ${sql.join(columns)}
    )`.execute(trx);
    await sql`create table if not exists ${events} (
      event_id text primary key,
      ${id} text not null,
      event_type text not null,
      event_timestamp timestamptz not null,
      clinic_id text not null,
      received_at timestamptz,
      topic text not null,
      partition integer not null,
      "offset" bigint not null,
      data jsonb not null,
      recorded_at timestamptz not null default now()
    )`.execute(trx);
    await sql`create index if not exists ${sql.id(`${table.eventsTable}_by_aggregate`)}
      on ${events} (${id}, event_timestamp)`.execute(trx);
    await sql`create index if not exists ${sql.id(`${table.stateTable}_by_clinic`)}
      on ${state} (clinic_id, status)`.execute(trx);
    for (const c of [...table.columns, ...LINEAGE_COLUMNS]) {
      if (c.comment) {
        await sql`comment on column ${sql.ref(`${schema}.${table.stateTable}.${c.name}`)} is ${sql.lit(c.comment)}`.execute(
          trx,
        );
      }
    }
    await insertBuildingVersion(trx, {
      projector: definition.name,
      version,
      schemaName: schema,
      fingerprint: logicFingerprint(definition),
    });
  });
  return schema;
}

/**
 * Makes `version` the live one in ONE transaction: the previous live version is retired and
 * every view of this projector is recreated over the new version's tables, so an analyst's
 * query sees either the old or the new version, never a mix: the definition's de-identified
 * views in `analytics` (for analytics_reader) and, per table, an audited view with every
 * column in `analytics_identified` (for phi_reader).
 */
export async function activateVersion<S extends AggregateState>(
  db: Db,
  definition: ProjectorDefinition<S>,
  version: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('analytics-views'))`.execute(trx);
    await markVersionLive(trx, definition.name, version);
    await recreateViews(trx, definition, version);
  });
}

/**
 * Recreates this projector's views over its live version, if it has one, in one transaction
 * (under the same lock as a swap, so it never races one). Run at every start of a projector
 * service: views whose definition changed with the code (a new column, the de-identified tier)
 * take effect without a rebuild, and a database built by older code is upgraded in place.
 */
export async function refreshLiveViews<S extends AggregateState>(
  db: Db,
  definition: ProjectorDefinition<S>,
): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('analytics-views'))`.execute(trx);
    const live = await trx
      .selectFrom('novamed.projection_versions')
      .select('version')
      .where('projector', '=', definition.name)
      .where('status', '=', 'live')
      .executeTakeFirst();
    if (live === undefined) return undefined;
    await recreateViews(trx, definition, live.version);
    return live.version;
  });
}

async function recreateViews<S extends AggregateState>(
  trx: Transaction<Database>,
  definition: ProjectorDefinition<S>,
  version: number,
): Promise<void> {
  const schema = versionSchema(definition.name, version);
  const { table } = definition;
  const visible = [table.idColumn, ...table.columns.map((c) => c.name)]
    .filter((c) => !HIDDEN_COLUMNS.has(c))
    .concat(LINEAGE_COLUMNS.map((c) => c.name));
  // The de-identified tier: only what the definition declares (it knows which columns are
  // identifiers), so a column added to the table never reaches analytics_reader unasked.
  for (const view of definition.views ?? []) {
    const name = sql.table(`analytics.${view.name}`);
    await sql`drop view if exists ${name}`.execute(trx);
    await sql`create view ${name} as ${sql.raw(view.select(`"${schema}"`))}`.execute(trx);
    if (view.comment) await sql`comment on view ${name} is ${sql.lit(view.comment)}`.execute(trx);
    await sql`grant select on ${name} to analytics_reader`.execute(trx);
  }
  // The identified tier: every column, as the analytics views showed before issue 17.
  const identified = [
    {
      name: table.stateTable,
      select: `select ${visible.map((c) => `"${c}"`).join(', ')} from "${schema}"."${table.stateTable}"`,
      comment: `Current state of every ${definition.readModel.aggregate}, one row each, with PHI (live version ${version}). Every read is audited.`,
    },
    {
      name: table.eventsTable,
      select: `select * from "${schema}"."${table.eventsTable}"`,
      comment: `Every distinct ${definition.readModel.aggregate} event applied, with PHI (live version ${version}). Every read is audited.`,
    },
  ];
  for (const view of identified) await createAuditedView(trx, view);
}

/**
 * `analytics_identified.<name>`, a view for phi_reader over a SECURITY DEFINER function that
 * records the read (`novamed.record_phi_read`: who, when, which statement) and returns the rows
 * of `novamed_identified.<name>`. A plain SELECT fires no trigger, hence the function. The
 * view passes `current_user`, evaluated as the reader (inside the function it is the owner).
 * Dropping the source view first drops the function and the view built on its row type, so a
 * version with other columns gets matching ones.
 */
async function createAuditedView(
  trx: Transaction<Database>,
  view: { name: string; select: string; comment: string },
): Promise<void> {
  const source = sql.table(`novamed_identified.${view.name}`);
  const reader = sql.table(`novamed_identified.read_${view.name}`);
  const audited = sql.table(`analytics_identified.${view.name}`);
  await sql`drop view if exists ${source} cascade`.execute(trx);
  await sql`create view ${source} as ${sql.raw(view.select)}`.execute(trx);
  await sql`create function ${reader}(reader name) returns setof ${source}
    language plpgsql security definer set search_path = pg_catalog, pg_temp as ${sql.lit(`
    begin
      perform novamed.record_phi_read(${sqlText(view.name)}, reader);
      return query select * from novamed_identified."${view.name}";
    end`)}`.execute(trx);
  await sql`revoke all on function ${reader}(name) from public`.execute(trx);
  await sql`grant execute on function ${reader}(name) to phi_reader`.execute(trx);
  await sql`create view ${audited} as select * from ${reader}(current_user)`.execute(trx);
  await sql`comment on view ${audited} is ${sql.lit(view.comment)}`.execute(trx);
  await sql`grant select on ${audited} to phi_reader`.execute(trx);
}

/** A SQL string literal (names here are the definitions' own identifiers). */
function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Outcome of {@link dropVersion}. */
export type DropVersionOutcome =
  | { ok: true; schema: string }
  | { ok: false; reason: 'LIVE' | 'NOT_FOUND' };

/**
 * Deletes a version that is not live: its schema (tables), its checkpoints, its error rows and
 * its `projection_versions` row, in one transaction. The live version is refused (the
 * analytics views read it).
 */
export async function dropVersion(
  db: Db,
  projector: string,
  version: number,
): Promise<DropVersionOutcome> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('analytics-views'))`.execute(trx);
    const row = await findVersion(trx, projector, version, { forUpdate: true });
    if (row === undefined) return { ok: false, reason: 'NOT_FOUND' } as const;
    if (row.status === 'live') return { ok: false, reason: 'LIVE' } as const;
    await sql`drop schema if exists ${sql.id(row.schema_name)} cascade`.execute(trx);
    await deleteCheckpoints(trx, projector, version);
    await trx
      .deleteFrom('novamed.projection_errors')
      .where('projector', '=', projector)
      .where('version', '=', version)
      .execute();
    await deleteVersionRow(trx, projector, version);
    return { ok: true, schema: row.schema_name } as const;
  });
}
