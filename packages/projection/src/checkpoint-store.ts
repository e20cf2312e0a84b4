import type { Database } from '@novamed-stream/db';
import type { Kysely, Transaction } from 'kysely';

/** A database or a transaction: repositories take either as their first argument. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** Whose checkpoints: one projector version reading one topic. */
export interface CheckpointKey {
  projector: string;
  version: number;
  topic: string;
}

/**
 * The stored checkpoints (next offset to apply) of a projector version on a topic, by
 * partition; only `partitions` when given. A partition without a row has applied nothing.
 */
export async function readCheckpoints(
  db: Executor,
  key: CheckpointKey,
  partitions?: readonly number[],
): Promise<Map<number, string>> {
  if (partitions !== undefined && partitions.length === 0) return new Map();
  let query = db
    .selectFrom('novamed.projection_checkpoints')
    .select(['partition', 'next_offset'])
    .where('projector', '=', key.projector)
    .where('version', '=', key.version)
    .where('topic', '=', key.topic);
  if (partitions !== undefined) query = query.where('partition', 'in', [...partitions]);
  const rows = await query.execute();
  return new Map(rows.map((r) => [r.partition, r.next_offset]));
}

/** One partition's checkpoint row. */
export interface CheckpointPosition extends CheckpointKey {
  partition: number;
}

/** A stored checkpoint with whose it is (see {@link readTopicCheckpoints}). */
export interface StoredCheckpoint {
  projector: string;
  version: number;
  partition: number;
  nextOffset: string;
}

/** Every projector version's checkpoints on `topic` (status pages, comparisons). */
export async function readTopicCheckpoints(
  db: Executor,
  topic: string,
  filter: { projector?: string; versions?: readonly number[] } = {},
): Promise<StoredCheckpoint[]> {
  if (filter.versions !== undefined && filter.versions.length === 0) return [];
  let query = db
    .selectFrom('novamed.projection_checkpoints')
    .select(['projector', 'version', 'partition', 'next_offset'])
    .where('topic', '=', topic);
  if (filter.projector !== undefined) query = query.where('projector', '=', filter.projector);
  if (filter.versions !== undefined) query = query.where('version', 'in', [...filter.versions]);
  const rows = await query.execute();
  return rows.map((r) => ({
    projector: r.projector,
    version: r.version,
    partition: r.partition,
    nextOffset: r.next_offset,
  }));
}

/**
 * Creates the partition's checkpoint at 0 if it has none, and locks it for the rest of the
 * transaction (`for update`): a second member applying the same batch waits here, then sees
 * the checkpoint the first one moved. Returns the stored next offset.
 */
export async function lockCheckpoint(
  trx: Transaction<Database>,
  position: CheckpointPosition,
): Promise<string> {
  await trx
    .insertInto('novamed.projection_checkpoints')
    .values({ ...position, next_offset: '0' })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await trx
    .selectFrom('novamed.projection_checkpoints')
    .select('next_offset')
    .where('projector', '=', position.projector)
    .where('version', '=', position.version)
    .where('topic', '=', position.topic)
    .where('partition', '=', position.partition)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return row.next_offset;
}

/** Moves a checkpoint locked by {@link lockCheckpoint} from `from` to `to`. */
export async function advanceCheckpoint(
  trx: Transaction<Database>,
  position: CheckpointPosition,
  from: string,
  to: string,
): Promise<void> {
  await trx
    .updateTable('novamed.projection_checkpoints')
    .set({ next_offset: to, updated_at: new Date() })
    .where('projector', '=', position.projector)
    .where('version', '=', position.version)
    .where('topic', '=', position.topic)
    .where('partition', '=', position.partition)
    .where('next_offset', '=', from)
    .execute();
}

/** Deletes every checkpoint of a projector version (on every topic). */
export async function deleteCheckpoints(
  db: Executor,
  projector: string,
  version: number,
): Promise<void> {
  await db
    .deleteFrom('novamed.projection_checkpoints')
    .where('projector', '=', projector)
    .where('version', '=', version)
    .execute();
}
