import {
  type HistoryRow,
  insertHistoryRows,
  type ProjectorDefinition,
  type StateRow,
  upsertStateRows,
  versionSchema,
} from '@novamed-stream/projection';
import type { AggregateState } from '@novamed-stream/read-models';
import type { Kysely } from 'kysely';

// The baselines write with the runtime's own statements (projection's table-statements.ts),
// so the comparison measures the runtime's extra work only.

/** Any Kysely connection or transaction. */
// biome-ignore lint/suspicious/noExplicitAny: the baselines use raw SQL only, on any schema.
export type AnyDb = Kysely<any>;

export type { HistoryRow, StateRow } from '@novamed-stream/projection';

/** {@link insertHistoryRows} into a version's history table. */
export function insertHistory<S extends AggregateState>(
  db: AnyDb,
  definition: ProjectorDefinition<S>,
  version: number,
  topic: string,
  partition: number,
  rows: readonly HistoryRow[],
  returning: boolean,
): Promise<Set<string>> {
  const schema = versionSchema(definition.name, version);
  return insertHistoryRows(db, definition, schema, { topic, partition }, rows, returning);
}

/** {@link upsertStateRows} into a version's current-state table. */
export function upsertStates<S extends AggregateState>(
  db: AnyDb,
  definition: ProjectorDefinition<S>,
  version: number,
  partition: number,
  rows: readonly StateRow<S>[],
): Promise<void> {
  return upsertStateRows(db, definition, versionSchema(definition.name, version), partition, rows);
}
