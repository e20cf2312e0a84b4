import type { Database } from '@novamed-stream/db';
import type { AggregateState } from '@novamed-stream/read-models';
import { type Kysely, sql, type Transaction } from 'kysely';
import { readTopicCheckpoints } from './checkpoint-store.js';
import { type ProjectorDefinition, versionSchema } from './projector-definition.js';

/** One version's side of a {@link VersionComparison}. */
export interface VersionDigest {
  version: number;
  /** Current-state rows compared (aggregates settled in both versions). */
  rows: number;
  /** History rows (distinct events) below the common position. */
  history: number;
  /** Order-independent checksum of the compared rows' state columns. */
  checksum: string;
}

/** What {@link compareVersions} found. */
export interface VersionComparison {
  /** Per partition, the position both versions had applied (the lower checkpoint). */
  common: Array<{ partition: number; offset: string }>;
  live: VersionDigest;
  candidate: VersionDigest;
  /** Aggregates left out: touched at or after the common position in either version. */
  excluded: number;
  /** Compared rows whose state differs, or that exist in one version only. */
  differingRows: number;
  /** State columns compared, and those only one version has. */
  columns: { compared: string[]; onlyLive: string[]; onlyCandidate: string[] };
  /** Row and history counts are equal. */
  countsEqual: boolean;
  /** Counts and checksums are equal and no row differs. */
  identical: boolean;
}

type Db = Kysely<Database>;

function lowerOf(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}

/**
 * Compares two versions of a projector while both keep consuming. In ONE repeatable-read
 * snapshot it reads both versions' checkpoints, takes per partition the lower one as the
 * common position, and compares only what both had applied by then: the aggregates whose
 * history has no event at or after the common position in either version (the others are
 * still moving and are left out and counted). For those, it compares row counts, the history
 * counts below the common position, and a checksum of the state columns (the id and every
 * column of the definition; lineage such as `updated_at` is left out).
 */
export async function compareVersions<S extends AggregateState>(
  db: Db,
  definition: ProjectorDefinition<S>,
  liveVersion: number,
  candidateVersion: number,
  topic: string,
): Promise<VersionComparison> {
  const schemas = {
    live: versionSchema(definition.name, liveVersion),
    candidate: versionSchema(definition.name, candidateVersion),
  };
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const checkpoints = await readTopicCheckpoints(trx, topic, {
        projector: definition.name,
        versions: [liveVersion, candidateVersion],
      });
      const common = commonPositions(checkpoints, liveVersion, candidateVersion);
      const columns = await comparedColumns(trx, definition, schemas);
      const { compared } = columns;

      const r = await digestSnapshot(trx, definition, schemas, { common, topic, compared });
      const live: VersionDigest = {
        version: liveVersion,
        rows: Number(r.live_rows),
        history: Number(r.live_history),
        checksum: r.live_checksum,
      };
      const candidate: VersionDigest = {
        version: candidateVersion,
        rows: Number(r.candidate_rows),
        history: Number(r.candidate_history),
        checksum: r.candidate_checksum,
      };
      const countsEqual = live.rows === candidate.rows && live.history === candidate.history;
      const differingRows = Number(r.differing);
      return {
        common,
        live,
        candidate,
        excluded: Number(r.excluded),
        differingRows,
        columns,
        countsEqual,
        identical: countsEqual && differingRows === 0 && live.checksum === candidate.checksum,
      };
    });
}

/**
 * Per partition (of either version), the lower of the two versions' checkpoints (0 where one
 * has none): the position both had applied up to.
 */
export function commonPositions(
  checkpoints: ReadonlyArray<{ version: number; partition: number; nextOffset: string }>,
  liveVersion: number,
  candidateVersion: number,
): Array<{ partition: number; offset: string }> {
  const at = (version: number, partition: number) =>
    BigInt(
      checkpoints.find((c) => c.version === version && c.partition === partition)?.nextOffset ?? 0,
    );
  const partitions = [...new Set(checkpoints.map((c) => c.partition))].sort((a, b) => a - b);
  return partitions.map((partition) => ({
    partition,
    offset: lowerOf(at(liveVersion, partition), at(candidateVersion, partition)).toString(),
  }));
}

const LINEAGE = new Set(['events_applied', 'source_partition', 'source_offset', 'updated_at']);

/** The state columns both versions' tables have, and the ones only one has (lineage left out). */
async function comparedColumns<S extends AggregateState>(
  trx: Transaction<Database>,
  definition: ProjectorDefinition<S>,
  schemas: { live: string; candidate: string },
): Promise<VersionComparison['columns']> {
  const { table } = definition;
  const columnsOf = async (schema: string) =>
    (
      await sql<{ column_name: string }>`select column_name from information_schema.columns
        where table_schema = ${schema} and table_name = ${table.stateTable}`.execute(trx)
    ).rows.map((r) => r.column_name);
  const liveColumns = new Set(await columnsOf(schemas.live));
  const candidateColumns = new Set(await columnsOf(schemas.candidate));
  const stateColumns = [table.idColumn, ...table.columns.map((c) => c.name)];
  const onlyIn = (mine: Set<string>, theirs: Set<string>) =>
    [...mine].filter((c) => !theirs.has(c) && !LINEAGE.has(c)).sort();
  return {
    compared: stateColumns.filter((c) => liveColumns.has(c) && candidateColumns.has(c)),
    onlyLive: onlyIn(liveColumns, candidateColumns),
    onlyCandidate: onlyIn(candidateColumns, liveColumns),
  };
}

/** Both versions' digests in the snapshot: rows, history below the common positions, checksums. */
async function digestSnapshot<S extends AggregateState>(
  trx: Transaction<Database>,
  definition: ProjectorDefinition<S>,
  schemas: { live: string; candidate: string },
  input: {
    common: Array<{ partition: number; offset: string }>;
    topic: string;
    compared: string[];
  },
) {
  const { table } = definition;
  const { common, topic, compared } = input;
  const id = sql.ref(table.idColumn);
  const positions = sql`unnest(${common.map((c) => c.partition)}::integer[],
    ${common.map((c) => c.offset)}::bigint[]) as common(partition, next_offset)`;
  const events = (schema: string) => sql.table(`${schema}.${table.eventsTable}`);
  const state = (schema: string) => sql.table(`${schema}.${table.stateTable}`);
  const touchedLater = (schema: string) => sql`
    select e.${id} as id from ${events(schema)} e
    left join ${positions} on common.partition = e.partition
    where e.topic <> ${topic} or e."offset" >= coalesce(common.next_offset, 0)`;
  const hashes = (schema: string) => sql`
    select s.${id} as id,
           md5(row(${sql.join(compared.map((c) => sql`s.${sql.ref(c)}`))})::text) as h
    from ${state(schema)} s
    where not exists (select 1 from unsettled u where u.id = s.${id})`;
  const history = (schema: string) => sql`
    select count(*) from ${events(schema)} e
    join ${positions} on common.partition = e.partition
    where e.topic = ${topic} and e."offset" < common.next_offset`;
  const checksum = (alias: string) =>
    sql`(select coalesce(sum(('x' || substr(h, 1, 15))::bit(60)::bigint::numeric), 0)::text
         from ${sql.table(alias)})`;
  const result = await sql<{
    live_rows: string;
    candidate_rows: string;
    live_history: string;
    candidate_history: string;
    live_checksum: string;
    candidate_checksum: string;
    differing: string;
    excluded: string;
  }>`
    with unsettled as (${touchedLater(schemas.live)} union ${touchedLater(schemas.candidate)}),
    l as (${hashes(schemas.live)}),
    c as (${hashes(schemas.candidate)})
    select (select count(*) from l)::text as live_rows,
           (select count(*) from c)::text as candidate_rows,
           (${history(schemas.live)})::text as live_history,
           (${history(schemas.candidate)})::text as candidate_history,
           ${checksum('l')} as live_checksum,
           ${checksum('c')} as candidate_checksum,
           (select count(*) from l full join c using (id)
             where l.h is distinct from c.h)::text as differing,
           (select count(*) from unsettled)::text as excluded`.execute(trx);
  return result.rows[0]!;
}
