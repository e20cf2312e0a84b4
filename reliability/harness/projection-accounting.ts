import type { Database } from '@novamed-stream/db';
import { aggregateOf, decodeEvent } from '@novamed-stream/events';
import { compareRows, LifecyclePlans } from '@novamed-stream/oracle';
import {
  liveVersion,
  readCheckpoints,
  stateFromRow,
  versionSchema,
} from '@novamed-stream/projection';
import { PROJECTORS } from '@novamed-stream/projectors';
import type { TopicMessage } from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';
import { type Kysely, sql } from 'kysely';
import type { CanaryEvent } from './canary.js';
import { PROJECTOR_NAMES, type ProjectorName } from './verify.js';

type Db = Kysely<Database>;

/** One projector's position on one partition against the partition's end. */
export interface PartitionLag {
  projector: ProjectorName;
  partition: number;
  /** The partition's high watermark. */
  end: bigint;
  /** The projector's checkpoint (next offset to apply; 0 when it has none). */
  checkpoint: bigint;
  lag: bigint;
}

/** Every projector's lag on every partition of `topic` (live version, or v1). */
export async function partitionLags(
  db: Db,
  kafka: Kafka,
  topic: string,
  projectors: readonly ProjectorName[] = PROJECTOR_NAMES,
): Promise<PartitionLag[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const lags: PartitionLag[] = [];
  for (const projector of projectors) {
    const version = (await liveVersion(db, projector).catch(() => undefined)) ?? 1;
    const stored = await readCheckpoints(db, { projector, version, topic });
    const at = new Map([...stored].map(([partition, offset]) => [partition, BigInt(offset)]));
    for (const { partition, high } of offsets) {
      const end = BigInt(high);
      const checkpoint = at.get(partition) ?? 0n;
      lags.push({
        projector,
        partition,
        end,
        checkpoint,
        lag: end > checkpoint ? end - checkpoint : 0n,
      });
    }
  }
  return lags.sort((a, b) => a.projector.localeCompare(b.projector) || a.partition - b.partition);
}

/** Outcome of {@link waitForZeroLag}. */
export type CatchUp =
  | { ok: true; seconds: number; lags: PartitionLag[] }
  /** No checkpoint moved for `stallMs` while some lag remained: a stuck partition. */
  | { ok: false; reason: 'STALLED'; seconds: number; lags: PartitionLag[] }
  | { ok: false; reason: 'TIMEOUT'; seconds: number; lags: PartitionLag[] };

/**
 * Waits until every projector's lag is 0 on every partition. Gives up early when nothing
 * moves for `stallMs` (a poison message holds a partition), so a stuck projector fails the
 * scenario in seconds rather than at the timeout.
 */
export async function waitForZeroLag(
  db: Db,
  kafka: Kafka,
  topic: string,
  options: { timeoutMs: number; stallMs: number },
): Promise<CatchUp> {
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 10) / 100;
  let lastTotal = -1n;
  let movedAt = Date.now();
  for (;;) {
    const lags = await partitionLags(db, kafka, topic);
    const total = lags.reduce((n, l) => n + l.checkpoint, 0n);
    if (lags.every((l) => l.lag === 0n)) return { ok: true, seconds: seconds(), lags };
    if (total !== lastTotal) {
      lastTotal = total;
      movedAt = Date.now();
    }
    if (Date.now() - movedAt >= options.stallMs) {
      return { ok: false, reason: 'STALLED', seconds: seconds(), lags };
    }
    if (seconds() * 1000 >= options.timeoutMs) {
      return { ok: false, reason: 'TIMEOUT', seconds: seconds(), lags };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** How one projector dealt with the messages that were its business. */
export interface ProjectorAccount {
  projector: ProjectorName;
  /** Messages of its aggregate, or that no decoder can read (every projector must record those). */
  itsBusiness: number;
  /** Applied: in its history table at that position, or a redelivery of an applied event_id. */
  used: number;
  /** In novamed.projection_errors at that position. */
  inErrors: number;
  /** Neither used nor in projection_errors: lost from view (the assertion). */
  unaccounted: Array<{ partition: number; offset: string; eventId: string | null }>;
  /** Its aggregate's unknown event types: skipped by design (NovaMed may add types). */
  unknownTypes: number;
}

/**
 * For every message on `topic`, checks that each projector whose business it is either used it
 * (history table) or recorded it in `novamed.projection_errors`: a message a projector cannot
 * use must never vanish, nor hold its partition.
 */
export async function accountMessages(
  db: Db,
  topic: string,
  messages: readonly TopicMessage[],
): Promise<ProjectorAccount[]> {
  const decoded = messages.map((m) => ({ m, d: decodeEvent(m.value) }));
  const accounts: ProjectorAccount[] = [];
  for (const projector of PROJECTOR_NAMES) {
    const definition = PROJECTORS[projector];
    const version = (await liveVersion(db, projector).catch(() => undefined)) ?? 1;
    const schema = versionSchema(projector, version);
    const history = (
      await sql<{ event_id: string; partition: number; offset: string }>`
        select event_id, partition, "offset"::text as "offset"
        from ${sql.table(`${schema}.${definition.table.eventsTable}`)}
        where topic = ${topic}`.execute(db)
    ).rows;
    const appliedAt = new Set(history.map((h) => `${h.partition}:${h.offset}`));
    const appliedIds = new Set(history.map((h) => h.event_id));
    const errors = new Set(
      (
        await db
          .selectFrom('novamed.projection_errors')
          .select(['partition', 'offset'])
          .where('projector', '=', projector)
          .where('version', '=', version)
          .where('topic', '=', topic)
          .execute()
      ).map((e) => `${e.partition}:${e.offset}`),
    );
    const account: ProjectorAccount = {
      projector,
      itsBusiness: 0,
      used: 0,
      inErrors: 0,
      unaccounted: [],
      unknownTypes: 0,
    };
    for (const { m, d } of decoded) {
      const type = 'envelope' in d ? d.envelope.event_type : undefined;
      const mine = type !== undefined && aggregateOf(type) === definition.readModel.aggregate;
      if (!d.ok && d.reason === 'UNKNOWN_EVENT_TYPE') {
        if (mine) account.unknownTypes++;
        continue;
      }
      if (type !== undefined && !mine) continue;
      account.itsBusiness++;
      const at = `${m.partition}:${m.offset}`;
      // Converted the way the pg driver writes it (lone surrogates become U+FFFD).
      const id = d.ok ? Buffer.from(d.event.event_id, 'utf8').toString('utf8') : undefined;
      if (appliedAt.has(at) || (id !== undefined && appliedIds.has(id))) account.used++;
      else if (errors.has(at)) account.inErrors++;
      else
        account.unaccounted.push({
          partition: m.partition,
          offset: m.offset,
          eventId: 'envelope' in d ? d.envelope.event_id : null,
        });
    }
    accounts.push(account);
  }
  return accounts;
}

/** Whether the normal events took effect exactly once, per projector and in sum. */
export interface NormalEventsCheck {
  perProjector: Array<{
    projector: ProjectorName;
    events: number;
    /** Not in its history table. */
    missing: number;
    /** `events_applied` over the normal aggregates' rows minus their events in the history. */
    doubleApplied: number;
    rows: number;
    /** Rows of normal aggregates that differ from folding their events with the pure `evolve`. */
    mismatchedRows: number;
  }>;
  missing: number;
  doubleApplied: number;
  mismatchedRows: number;
}

/**
 * Checks the normal events (valid, acknowledged) against the read models, looking only at the
 * normal events' own aggregates (hostile events use aggregate ids of their own): each event in
 * its projector's history, `events_applied` adding up, each row equal to the independent
 * oracle's row for the events in the history (`@novamed-stream/oracle`, not `evolve`).
 */
export async function checkNormalEvents(
  db: Db,
  events: readonly CanaryEvent[],
): Promise<NormalEventsCheck> {
  const perProjector: NormalEventsCheck['perProjector'] = [];
  for (const projector of PROJECTOR_NAMES) {
    const definition = PROJECTORS[projector];
    const model = definition.readModel;
    const version = (await liveVersion(db, projector)) ?? 1;
    const schema = versionSchema(projector, version);
    const mine = events.filter((e) => model.idOf(e.event) !== undefined);
    const ids = [...new Set(mine.map((e) => model.idOf(e.event) as string))];
    const history = new Set(
      (
        await sql<{ event_id: string }>`select event_id from ${sql.table(
          `${schema}.${definition.table.eventsTable}`,
        )} where event_id = any(${mine.map((e) => e.eventId)}::text[])`.execute(db)
      ).rows.map((r) => r.event_id),
    );
    const plans = new LifecyclePlans();
    for (const e of mine) plans.record(e.stage);
    const rows = (
      await sql<Record<string, unknown>>`select * from ${sql.table(
        `${schema}.${definition.table.stateTable}`,
      )} where ${sql.ref(definition.table.idColumn)} = any(${ids}::text[])`.execute(db)
    ).rows;
    const eventsApplied = rows.reduce((n, row) => n + Number(row['events_applied']), 0);
    const mismatchedRows = compareRows(
      model.aggregate,
      plans.expectedRows(model.aggregate, history),
      rows.map((row) => stateFromRow(definition as never, row)),
    ).wrongRows;
    perProjector.push({
      projector,
      events: mine.length,
      missing: mine.length - history.size,
      doubleApplied: eventsApplied - history.size,
      rows: rows.length,
      mismatchedRows,
    });
  }
  const sum = (k: 'missing' | 'doubleApplied' | 'mismatchedRows') =>
    perProjector.reduce((n, p) => n + p[k], 0);
  return {
    perProjector,
    missing: sum('missing'),
    doubleApplied: sum('doubleApplied'),
    mismatchedRows: sum('mismatchedRows'),
  };
}
