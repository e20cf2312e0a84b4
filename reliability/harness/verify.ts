import type { Database } from '@novamed-stream/db';
import { compareRows, LifecyclePlans } from '@novamed-stream/oracle';
import {
  liveVersion,
  readCheckpoints,
  stateFromRow,
  versionSchema,
} from '@novamed-stream/projection';
import { PROJECTORS } from '@novamed-stream/projectors';
import type { Kafka } from 'kafkajs';
import { type Kysely, sql } from 'kysely';
import type { CanaryEvent } from './canary.js';

export type ProjectorName = keyof typeof PROJECTORS;
export const PROJECTOR_NAMES = Object.keys(PROJECTORS) as ProjectorName[];

/** What one read model holds against what it should. */
export interface ReadModelCheck {
  projector: string;
  version: number;
  /** Events of this read model that got a 200. */
  acknowledged: number;
  /** Distinct events in its history table. */
  applied: number;
  /** Acknowledged events missing from the history: lost. */
  lost: number;
  /** Sum of `events_applied` over the rows minus the distinct events: applied twice. */
  doubleApplied: number;
  /**
   * Rows, and rows that differ from the independent oracle's (missing, unexpected or with a
   * column differing) for the events in the history table.
   */
  rows: number;
  mismatchedRows: number;
  /** Applied events that never got a 200 (stored, then the answer was lost): not an error. */
  storedWithout200: number;
}

/** The sum over the three read models. */
export interface ReadModelsCheck {
  perProjector: ReadModelCheck[];
  lost: number;
  doubleApplied: number;
  mismatchedRows: number;
}

type Db = Kysely<Database>;

/**
 * Compares the read models with what was sent: every acknowledged event must be in its read
 * model's history exactly once, `events_applied` must add up to the distinct events, and each
 * row must equal the independent oracle's row for the planned stages whose event_id reached
 * the history table (`@novamed-stream/oracle`: not the projector's own `evolve`).
 */
export async function checkReadModels(
  db: Db,
  sent: readonly CanaryEvent[],
  acknowledged: readonly CanaryEvent[],
  projectors: readonly ProjectorName[] = PROJECTOR_NAMES,
): Promise<ReadModelsCheck> {
  const acked = new Set(acknowledged.map((e) => e.eventId));
  const perProjector: ReadModelCheck[] = [];
  for (const name of projectors) {
    const definition = PROJECTORS[name];
    const model = definition.readModel;
    const version = (await liveVersion(db, name)) ?? 1;
    const schema = versionSchema(name, version);
    const history = new Set(
      (
        await sql<{ event_id: string }>`select event_id from ${sql.table(
          `${schema}.${definition.table.eventsTable}`,
        )}`.execute(db)
      ).rows.map((r) => r.event_id),
    );
    const mine = sent.filter((e) => model.idOf(e.event) !== undefined);
    const ackedMine = mine.filter((e) => acked.has(e.eventId));
    const lost = ackedMine.filter((e) => !history.has(e.eventId)).length;
    const storedWithout200 = mine.filter(
      (e) => history.has(e.eventId) && !acked.has(e.eventId),
    ).length;

    const plans = new LifecyclePlans();
    for (const e of mine) plans.record(e.stage);
    const rows = (
      await sql<Record<string, unknown>>`select * from ${sql.table(
        `${schema}.${definition.table.stateTable}`,
      )}`.execute(db)
    ).rows;
    const eventsApplied = rows.reduce((n, row) => n + Number(row['events_applied']), 0);
    const comparison = compareRows(
      model.aggregate,
      plans.expectedRows(model.aggregate, history),
      rows.map((row) => stateFromRow(definition as never, row)),
    );
    const mismatchedRows = comparison.wrongRows;
    perProjector.push({
      projector: name,
      version,
      acknowledged: ackedMine.length,
      applied: history.size,
      lost,
      doubleApplied: eventsApplied - history.size,
      rows: rows.length,
      mismatchedRows,
      storedWithout200,
    });
  }
  return {
    perProjector,
    lost: perProjector.reduce((n, c) => n + c.lost, 0),
    doubleApplied: perProjector.reduce((n, c) => n + c.doubleApplied, 0),
    mismatchedRows: perProjector.reduce((n, c) => n + c.mismatchedRows, 0),
  };
}

/** Sum of the topic's high watermarks: the messages a projector must get through. */
export async function topicEnd(kafka: Kafka, topic: string): Promise<bigint> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, o) => n + BigInt(o.high), 0n);
  } finally {
    await admin.disconnect();
  }
}

/** Sum of a projector's checkpoints on `topic` (its live version, or v1). */
export async function checkpointSum(db: Db, projector: string, topic: string): Promise<bigint> {
  const version = (await liveVersion(db, projector).catch(() => undefined)) ?? 1;
  const stored = await readCheckpoints(db, { projector, version, topic }).catch(() => new Map());
  let sum = 0n;
  for (const offset of stored.values()) sum += BigInt(offset);
  return sum;
}

/**
 * Waits until each projector's checkpoints reach the topic's end (every message handled).
 * Throws after `timeoutMs`, saying how far each one got.
 */
export async function waitCaughtUp(
  db: Db,
  kafka: Kafka,
  topic: string,
  projectors: readonly string[] = PROJECTOR_NAMES,
  timeoutMs = 180_000,
): Promise<void> {
  const end = await topicEnd(kafka, topic);
  const deadline = Date.now() + timeoutMs;
  let positions: bigint[] = [];
  while (Date.now() < deadline) {
    positions = await Promise.all(projectors.map((p) => checkpointSum(db, p, topic)));
    if (positions.every((p) => p >= end)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `projectors not caught up after ${timeoutMs} ms: ${projectors
      .map((p, i) => `${p} ${positions[i]}/${end}`)
      .join(', ')}`,
  );
}

/**
 * A checksum of every row of a projector's current-state table (the id and every state
 * column; lineage such as `updated_at` left out), and the row count.
 */
export async function stateChecksum(
  db: Db,
  projector: ProjectorName,
): Promise<{ rows: number; checksum: string }> {
  const definition = PROJECTORS[projector];
  const version = (await liveVersion(db, projector)) ?? 1;
  const columns = [definition.table.idColumn, ...definition.table.columns.map((c) => c.name)];
  const row = sql.join(columns.map((c) => sql`coalesce(${sql.ref(`t.${c}`)}::text, '<null>')`));
  const result = await sql<{ rows: string; checksum: string | null }>`
    select count(*) as rows,
      md5(string_agg(md5(concat_ws('|', ${row})), '' order by ${sql.ref(`t.${definition.table.idColumn}`)})) as checksum
    from ${sql.table(`${versionSchema(projector, version)}.${definition.table.stateTable}`)} t`.execute(
    db,
  );
  return {
    rows: Number(result.rows[0]?.rows ?? 0),
    checksum: result.rows[0]?.checksum ?? 'empty',
  };
}
