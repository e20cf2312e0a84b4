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
