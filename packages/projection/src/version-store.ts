import type { Database, ProjectionVersion } from '@novamed-stream/db';
import type { Transaction } from 'kysely';
import type { Executor } from './checkpoint-store.js';

/** A version's fingerprint: the projection logic that built it (null for older rows). */
export interface LiveVersionRow {
  version: number;
  fingerprint: string | null;
}

/** The live version of a projector, if any. */
export async function liveVersion(db: Executor, projector: string): Promise<number | undefined> {
  return (await readLiveVersion(db, projector))?.version;
}

/** The live version of a projector with its logic fingerprint, if any. */
export async function readLiveVersion(
  db: Executor,
  projector: string,
): Promise<LiveVersionRow | undefined> {
  const row = await db
    .selectFrom('novamed.projection_versions')
    .select(['version', 'fingerprint'])
    .where('projector', '=', projector)
    .where('status', '=', 'live')
    .executeTakeFirst();
  return row && { version: row.version, fingerprint: row.fingerprint };
}

/**
 * The versions of the given projectors (every projector when omitted), by projector then
 * version, oldest first.
 */
export async function listVersions(
  db: Executor,
  projectors?: readonly string[],
): Promise<ProjectionVersion[]> {
  if (projectors !== undefined && projectors.length === 0) return [];
  let query = db.selectFrom('novamed.projection_versions').selectAll();
  if (projectors !== undefined) query = query.where('projector', 'in', [...projectors]);
  return query.orderBy('projector').orderBy('version').execute();
}

/**
 * One version's row, if it exists; `forUpdate` locks it for the rest of the transaction (to
 * decide on it and change it atomically).
 */
export async function findVersion(
  db: Executor,
  projector: string,
  version: number,
  options: { forUpdate?: boolean } = {},
): Promise<ProjectionVersion | undefined> {
  const query = db
    .selectFrom('novamed.projection_versions')
    .selectAll()
    .where('projector', '=', projector)
    .where('version', '=', version);
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

/** Records a version being built (kept as it is when it exists already). */
export async function insertBuildingVersion(
  db: Executor,
  row: { projector: string; version: number; schemaName: string; fingerprint: string },
): Promise<void> {
  await db
    .insertInto('novamed.projection_versions')
    .values({
      projector: row.projector,
      version: row.version,
      status: 'building',
      schema_name: row.schemaName,
      fingerprint: row.fingerprint,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Makes `version` the live one and retires the previous live one, in the caller's transaction. */
export async function markVersionLive(
  trx: Transaction<Database>,
  projector: string,
  version: number,
): Promise<void> {
  await trx
    .updateTable('novamed.projection_versions')
    .set({ status: 'retired' })
    .where('projector', '=', projector)
    .where('status', '=', 'live')
    .where('version', '!=', version)
    .execute();
  await trx
    .updateTable('novamed.projection_versions')
    .set({ status: 'live', live_at: new Date() })
    .where('projector', '=', projector)
    .where('version', '=', version)
    .execute();
}

/** Deletes a version's row (its tables, checkpoints and errors are the caller's). */
export async function deleteVersionRow(
  db: Executor,
  projector: string,
  version: number,
): Promise<void> {
  await db
    .deleteFrom('novamed.projection_versions')
    .where('projector', '=', projector)
    .where('version', '=', version)
    .execute();
}
