import type { Database } from '@novamed-stream/db';
import { aggregateOf, decodeEvent, HEADERS, type NovaMedEvent } from '@novamed-stream/events';
import type { AggregateState } from '@novamed-stream/read-models';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type ProjectorDefinition, versionSchema } from './projector-definition.js';
import { fromColumn } from './read-model-table.js';
import { insertHistoryRows, type StateRow, upsertStateRows } from './table-statements.js';

/** A Kafka message as the runtime needs it (a subset of kafkajs's). */
export interface BatchMessage {
  offset: string;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/** One partition's messages, in offset order. */
export interface BatchInput {
  topic: string;
  partition: number;
  messages: readonly BatchMessage[];
  /**
   * The partition's earliest offset still in the topic, when known. A checkpoint below it is
   * not a gap (retention deleted those messages), so the batch may start there.
   */
  lowWatermark?: string;
}

/** A message the projector could not use; it goes to projection_errors and the dead letters. */
export interface RejectedMessage {
  offset: string;
  eventId: string | null;
  eventType: string | null;
  reason: 'INVALID_JSON' | 'INVALID_ENVELOPE' | 'INVALID_DATA' | 'UNSUPPORTED_CHARACTER';
  details: string[];
  message: BatchMessage;
}

/** Outcome of {@link applyBatch}. Expected infrastructure outcomes are values, not exceptions. */
export type BatchOutcome =
  | {
      ok: true;
      /** The checkpoint after this batch: last offset + 1 (unchanged when nothing was new). */
      nextOffset: string;
      /** Distinct new events folded into rows. */
      applied: number;
      /** Events whose event_id was already in the history (redeliveries). */
      duplicates: number;
      /** Messages at or below the stored checkpoint (already applied before a crash/rebalance). */
      belowCheckpoint: number;
      /** Other aggregates' events: not this projector's business. */
      ignored: number;
      /** This aggregate's event types the read model does not know (NovaMed added one). */
      unknown: number;
      rejected: RejectedMessage[];
      rowsWritten: number;
      /** Latest `received-at` header among applied messages, for lag in event time. */
      latestReceivedAt: string | null;
    }
  | {
      ok: false;
      /** The batch starts after the checkpoint: messages in between were never applied. */
      reason: 'GAP';
      checkpoint: string;
      firstOffset: string;
    };

interface Candidate {
  event: NovaMedEvent;
  id: string;
  offset: string;
  receivedAt: string | null;
}

type Db = Kysely<Database>;

function header(message: BatchMessage, name: string): string | null {
  const value = message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? null : first.toString();
}

const NUL = /\\u0000/;

/**
 * Applies one partition's batch in ONE transaction: locks the projector's checkpoint row,
 * skips messages below it, records new events in the history table (`ON CONFLICT (event_id)
 * DO NOTHING` tells which are new), loads the affected rows in one query, folds only the new
 * events through the pure `evolve`, upserts the changed rows in one statement, records
 * rejected messages and advances the checkpoint. Either all of that commits or none of it.
 */
export async function applyBatch<S extends AggregateState>(
  db: Db,
  definition: ProjectorDefinition<S>,
  version: number,
  input: BatchInput,
): Promise<BatchOutcome> {
  return db.transaction().execute((trx) => applyInTransaction(trx, definition, version, input));
}

async function applyInTransaction<S extends AggregateState>(
  trx: Transaction<Database>,
  definition: ProjectorDefinition<S>,
  version: number,
  input: BatchInput,
): Promise<BatchOutcome> {
  const key = {
    projector: definition.name,
    version,
    topic: input.topic,
    partition: input.partition,
  };
  await trx
    .insertInto('novamed.projection_checkpoints')
    .values({ ...key, next_offset: '0' })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const checkpoint = (
    await trx
      .selectFrom('novamed.projection_checkpoints')
      .select('next_offset')
      .where('projector', '=', key.projector)
      .where('version', '=', key.version)
      .where('topic', '=', key.topic)
      .where('partition', '=', key.partition)
      .forUpdate()
      .executeTakeFirstOrThrow()
  ).next_offset;

  const stored = BigInt(checkpoint);
  const fresh = input.messages.filter((m) => BigInt(m.offset) >= stored);
  const belowCheckpoint = input.messages.length - fresh.length;
  const first = fresh[0];
  const last = fresh[fresh.length - 1];
  const base = {
    ok: true as const,
    applied: 0,
    duplicates: 0,
    belowCheckpoint,
    ignored: 0,
    unknown: 0,
    rejected: [] as RejectedMessage[],
    rowsWritten: 0,
    latestReceivedAt: null as string | null,
  };
  if (first === undefined || last === undefined) return { ...base, nextOffset: checkpoint };
  const floor = input.lowWatermark !== undefined && BigInt(input.lowWatermark) > stored;
  if (
    BigInt(first.offset) > stored &&
    !(floor && BigInt(first.offset) <= BigInt(input.lowWatermark!))
  ) {
    return { ok: false, reason: 'GAP', checkpoint, firstOffset: first.offset };
  }

  const classified = classify(definition, fresh);
  const { candidates, rejected, ignored, unknown } = classified;
  let { duplicates } = classified;

  const schema = versionSchema(definition.name, version);
  const newIds = await insertHistoryRows(trx, definition, schema, input, candidates);
  const fresher = candidates.filter((c) => newIds.has(c.event.event_id));
  duplicates += candidates.length - fresher.length;

  const rowsWritten = await foldAndWrite(trx, definition, schema, input.partition, fresher);

  if (rejected.length > 0) {
    await trx
      .insertInto('novamed.projection_errors')
      .values(
        rejected.map((r) => ({
          ...key,
          event_id: r.eventId,
          event_type: r.eventType,
          offset: r.offset,
          reason: r.reason,
          details: JSON.stringify(r.details),
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  const nextOffset = (BigInt(last.offset) + 1n).toString();
  await trx
    .updateTable('novamed.projection_checkpoints')
    .set({ next_offset: nextOffset, updated_at: new Date() })
    .where('projector', '=', key.projector)
    .where('version', '=', key.version)
    .where('topic', '=', key.topic)
    .where('partition', '=', key.partition)
    .where('next_offset', '=', checkpoint)
    .execute();

  let latestReceivedAt: string | null = null;
  for (const c of fresher) {
    if (c.receivedAt !== null && (latestReceivedAt === null || c.receivedAt > latestReceivedAt)) {
      latestReceivedAt = c.receivedAt;
    }
  }
  return {
    ...base,
    nextOffset,
    applied: fresher.length,
    duplicates,
    ignored,
    unknown,
    rejected,
    rowsWritten,
    latestReceivedAt,
  };
}

function reject(
  message: BatchMessage,
  envelope: { event_id: string; event_type: string } | null,
  reason: RejectedMessage['reason'],
  details: string[],
): RejectedMessage {
  return {
    offset: message.offset,
    eventId: envelope?.event_id ?? header(message, HEADERS.eventId),
    eventType: envelope?.event_type ?? header(message, HEADERS.eventType),
    reason,
    details,
    message,
  };
}

/** The messages of a batch sorted into what the read model folds and what it does not. */
interface Classified {
  candidates: Candidate[];
  rejected: RejectedMessage[];
  ignored: number;
  unknown: number;
  /** Repeats of an event_id within these messages. */
  duplicates: number;
  /** Offsets of the messages neither folded nor rejected, and why. */
  skipped: Array<{ offset: string; why: 'IGNORED' | 'UNKNOWN_TYPE' | 'DUPLICATE' }>;
}

function classify<S extends AggregateState>(
  definition: ProjectorDefinition<S>,
  messages: readonly BatchMessage[],
): Classified {
  const { readModel } = definition;
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  let ignored = 0;
  let unknown = 0;
  let duplicates = 0;
  const rejected: RejectedMessage[] = [];
  const skipped: Classified['skipped'] = [];
  const skip = (message: BatchMessage, why: Classified['skipped'][number]['why']) => {
    skipped.push({ offset: message.offset, why });
    if (why === 'IGNORED') ignored++;
    else if (why === 'UNKNOWN_TYPE') unknown++;
    else duplicates++;
  };
  for (const message of messages) {
    const decoded = decodeEvent(message.value);
    const mine = (type: string) => aggregateOf(type) === readModel.aggregate;
    if (decoded.ok) {
      const id = readModel.idOf(decoded.event);
      if (id === undefined) {
        // Ours but without a usable id can only be a schema gap; other aggregates are ignored.
        skip(message, 'IGNORED');
        continue;
      }
      if (message.value !== null && NUL.test(message.value.toString('utf8'))) {
        rejected.push(
          reject(message, decoded.envelope, 'UNSUPPORTED_CHARACTER', [
            'a string contains U+0000, which Postgres text and jsonb cannot store',
          ]),
        );
        continue;
      }
      if (seen.has(decoded.event.event_id)) {
        skip(message, 'DUPLICATE');
        continue;
      }
      seen.add(decoded.event.event_id);
      candidates.push({
        event: decoded.event,
        id,
        offset: message.offset,
        receivedAt: header(message, HEADERS.receivedAt),
      });
    } else if (decoded.reason === 'UNKNOWN_EVENT_TYPE') {
      skip(message, mine(decoded.envelope.event_type) ? 'UNKNOWN_TYPE' : 'IGNORED');
    } else if (decoded.reason === 'INVALID_DATA') {
      if (mine(decoded.envelope.event_type)) {
        rejected.push(reject(message, decoded.envelope, decoded.reason, decoded.errors));
      } else skip(message, 'IGNORED');
    } else {
      rejected.push(reject(message, null, decoded.reason, decoded.errors));
    }
  }
  return { candidates, rejected, ignored, unknown, duplicates, skipped };
}

/** What {@link reapplyMessages} did with one message. */
export type ReapplyResult =
  | { offset: string; outcome: 'APPLIED' | 'DUPLICATE' | 'IGNORED' | 'UNKNOWN_TYPE' }
  | {
      offset: string;
      outcome: 'STILL_REJECTED';
      reason: RejectedMessage['reason'];
      details: string[];
    };

/**
 * Re-applies messages a projector once rejected (rows of `projection_errors`), after a fix to
 * the event schemas or the read model: in ONE transaction, each message that the projector can
 * now use is recorded in the history table and folded into its row, exactly as
 * {@link applyBatch} would (an event_id already in the history changes nothing), and the
 * error rows of the messages that are no longer rejected are marked resolved. The checkpoint
 * is not touched: these messages are behind it.
 */
export async function reapplyMessages<S extends AggregateState>(
  db: Db,
  definition: ProjectorDefinition<S>,
  version: number,
  input: Pick<BatchInput, 'topic' | 'partition' | 'messages'>,
): Promise<ReapplyResult[]> {
  return db.transaction().execute(async (trx) => {
    const { candidates, rejected, skipped } = classify(definition, input.messages);
    const schema = versionSchema(definition.name, version);
    const newIds = await insertHistoryRows(trx, definition, schema, input, candidates);
    const fresher = candidates.filter((c) => newIds.has(c.event.event_id));
    await foldAndWrite(trx, definition, schema, input.partition, fresher);
    const results = new Map<string, ReapplyResult>();
    for (const r of rejected) {
      results.set(r.offset, {
        offset: r.offset,
        outcome: 'STILL_REJECTED',
        reason: r.reason,
        details: r.details,
      });
    }
    for (const s of skipped) results.set(s.offset, { offset: s.offset, outcome: s.why });
    for (const c of candidates) {
      results.set(c.offset, {
        offset: c.offset,
        outcome: newIds.has(c.event.event_id) ? 'APPLIED' : 'DUPLICATE',
      });
    }
    const resolved = [...results.values()]
      .filter((r) => r.outcome !== 'STILL_REJECTED')
      .map((r) => r.offset);
    if (resolved.length > 0) {
      await trx
        .updateTable('novamed.projection_errors')
        .set({ resolved_at: new Date() })
        .where('projector', '=', definition.name)
        .where('version', '=', version)
        .where('topic', '=', input.topic)
        .where('partition', '=', input.partition)
        .where('offset', 'in', resolved)
        .where('resolved_at', 'is', null)
        .execute();
    }
    return input.messages.flatMap((m) => {
      const r = results.get(m.offset);
      return r ? [r] : [];
    });
  });
}

/**
 * Loads the rows of the aggregates the new events touch (one query), folds the events into
 * them in offset order, and upserts every changed row in one UNNEST statement.
 */
async function foldAndWrite<S extends AggregateState>(
  trx: Transaction<Database>,
  definition: ProjectorDefinition<S>,
  schema: string,
  partition: number,
  events: readonly Candidate[],
): Promise<number> {
  if (events.length === 0) return 0;
  const { table, readModel } = definition;
  const ids = [...new Set(events.map((e) => e.id))].sort();
  // Rows of one aggregate can be written from two partitions (a refill first keyed by its own
  // id, later by its medication request) or by two instances during a rebalance: lock the
  // aggregates, in a fixed order, before reading them, so no update is lost.
  await sql`select pg_advisory_xact_lock(hashtext(${schema} || ':' || id))
    from unnest(${ids}::text[]) as id`.execute(trx);
  const loaded = await sql<Record<string, unknown>>`
    select * from ${sql.table(`${schema}.${table.stateTable}`)}
    where ${sql.ref(table.idColumn)} = any(${ids}::text[])`.execute(trx);

  const working = new Map<string, StateRow<S>>();
  for (const row of loaded.rows) {
    const id = String(row[table.idColumn]);
    working.set(id, {
      id,
      state: stateFromRow<S>(definition, row),
      eventsApplied: Number(row['events_applied'] ?? 0),
      offset: String(row['source_offset'] ?? '0'),
    });
  }
  for (const { event, id, offset } of events) {
    const current = working.get(id);
    working.set(id, {
      id,
      state: readModel.evolve(current?.state ?? readModel.initial(id, event.clinic_id), event),
      eventsApplied: (current?.eventsApplied ?? 0) + 1,
      offset,
    });
  }

  await upsertStateRows(trx, definition, schema, partition, [...working.values()]);
  return working.size;
}

/** Rebuilds a state from its current-state row (the inverse of the upsert above). */
export function stateFromRow<S extends AggregateState>(
  definition: ProjectorDefinition<S>,
  row: Record<string, unknown>,
): S {
  const state: Record<string, unknown> = {
    [definition.table.idColumn]: String(row[definition.table.idColumn]),
  };
  for (const column of definition.table.columns) {
    state[column.name] = fromColumn(column.type, row[column.name]);
  }
  return state as S;
}
