import type { Database } from '@novamed-stream/db';
import {
  type AggregateKind,
  aggregateOf,
  type DecodedEvent,
  decodeEvent,
  HEADERS,
  type NovaMedEvent,
  parseEnvelope,
  validateEvent,
} from '@novamed-stream/events';
import type { AggregateState } from '@novamed-stream/read-models';
import { type Kysely, sql, type Transaction } from 'kysely';
import { advanceCheckpoint, type CheckpointPosition, lockCheckpoint } from './checkpoint-store.js';
import { EvolveError } from './evolve-error.js';
import { isolatePoison } from './isolate-poison.js';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth.js';
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

/**
 * A message the projector could not use; it goes to projection_errors and the dead letters.
 * `eventId`, `eventType` and `details` are storable (no U+0000, bounded) and hold no values.
 */
export interface RejectedMessage {
  offset: string;
  eventId: string | null;
  eventType: string | null;
  /**
   * `TOO_DEEPLY_NESTED`: arrays/objects nested deeper than {@link MAX_JSON_DEPTH}.
   * `APPLY_FAILED`: the message failed on its own when applied (found by narrowing a failing
   * batch); `details` holds the error class or SQLSTATE and a fixed description.
   */
  reason:
    | 'INVALID_JSON'
    | 'INVALID_ENVELOPE'
    | 'INVALID_DATA'
    | 'UNSUPPORTED_CHARACTER'
    | 'TOO_DEEPLY_NESTED'
    | 'APPLY_FAILED';
  details: string[];
  message: BatchMessage;
}

/** Options for {@link applyBatch}. */
export interface ApplyBatchOptions {
  /**
   * Narrow the batch to the messages that fail on their own ({@link isolatePoison}): runs of
   * messages are applied under savepoints, the ones that fail alone are rejected with
   * `APPLY_FAILED`, the rest is applied, all in the one transaction that moves the checkpoint.
   * For a batch that failed twice for a reason that is not plainly transient.
   */
  isolate?: boolean;
  /** Called after each trial while isolating (the consumer's heartbeat). */
  afterTrial?: () => Promise<void>;
  /**
   * The transaction's `lock_timeout`; default 5000 ms, 0 for none. A batch waiting on a lock
   * held elsewhere fails with SQLSTATE 55P03 (transient) instead of blocking its partition.
   */
  lockTimeoutMs?: number;
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
      /** Applies tried while narrowing a failing batch (0: applied in one go). */
      isolationTrials: number;
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

/** A header or an envelope string as projection_errors and a Kafka header can hold it. */
function storable(value: string | null, max = 255): string | null {
  return value === null ? null : value.replaceAll('\u0000', '\ufffd').slice(0, max);
}

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
  options: ApplyBatchOptions = {},
): Promise<BatchOutcome> {
  return db
    .transaction()
    .execute((trx) => applyInTransaction(trx, definition, version, input, options));
}

/** What applying some messages did (summed over the runs of an isolation). */
interface Applied {
  applied: number;
  duplicates: number;
  ignored: number;
  unknown: number;
  rejected: RejectedMessage[];
  rowsWritten: number;
  latestReceivedAt: string | null;
}

async function applyInTransaction<S extends AggregateState>(
  trx: Transaction<Database>,
  definition: ProjectorDefinition<S>,
  version: number,
  input: BatchInput,
  options: ApplyBatchOptions,
): Promise<BatchOutcome> {
  const lockTimeoutMs = options.lockTimeoutMs ?? 5000;
  if (lockTimeoutMs > 0) {
    await sql`select set_config('lock_timeout', ${`${Math.round(lockTimeoutMs)}ms`}, true)`.execute(
      trx,
    );
  }
  const key = {
    projector: definition.name,
    version,
    topic: input.topic,
    partition: input.partition,
  };
  const checkpoint = await lockCheckpoint(trx, key);

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
    isolationTrials: 0,
  };
  if (first === undefined || last === undefined) return { ...base, nextOffset: checkpoint };
  const floor = input.lowWatermark !== undefined && BigInt(input.lowWatermark) > stored;
  if (
    BigInt(first.offset) > stored &&
    !(floor && BigInt(first.offset) <= BigInt(input.lowWatermark!))
  ) {
    return { ok: false, reason: 'GAP', checkpoint, firstOffset: first.offset };
  }

  const schema = versionSchema(definition.name, version);
  const total: Applied = {
    applied: 0,
    duplicates: 0,
    ignored: 0,
    unknown: 0,
    rejected: [],
    rowsWritten: 0,
    latestReceivedAt: null,
  };
  let isolationTrials = 0;
  if (options.isolate) {
    isolationTrials = await applyIsolated(trx, definition, schema, input, fresh, options, total);
  } else {
    addTo(total, await applyMessages(trx, definition, schema, input, fresh));
  }
  await recordRejected(trx, key, total.rejected);

  const nextOffset = (BigInt(last.offset) + 1n).toString();
  await advanceCheckpoint(trx, key, checkpoint, nextOffset);

  return { ...base, ...total, nextOffset, isolationTrials };
}

/**
 * Applies `fresh` in runs, each under a savepoint, narrowed to the messages that fail on their
 * own ({@link isolatePoison}); those are added to `total.rejected` as `APPLY_FAILED`. A run
 * that throws leaves nothing behind, the runs that succeed stay, and everything commits with
 * the checkpoint. Returns the number of trials; throws when the isolation gave up.
 */
async function applyIsolated<S extends AggregateState>(
  trx: Transaction<Database>,
  definition: ProjectorDefinition<S>,
  schema: string,
  input: BatchInput,
  fresh: readonly BatchMessage[],
  options: ApplyBatchOptions,
  total: Applied,
): Promise<number> {
  const isolation = await isolatePoison(
    fresh,
    async (run) => {
      await sql`savepoint isolate_run`.execute(trx);
      let applied: Applied;
      try {
        applied = await applyMessages(trx, definition, schema, input, run);
      } catch (error) {
        await sql`rollback to savepoint isolate_run`.execute(trx);
        throw error;
      }
      await sql`release savepoint isolate_run`.execute(trx);
      addTo(total, applied);
    },
    options.afterTrial ? { afterTrial: options.afterTrial } : {},
  );
  if (!isolation.ok) throw isolation.error;
  for (const { message, failure } of isolation.poison) {
    total.rejected.push(
      reject(message, envelopeOf(message), 'APPLY_FAILED', [
        `${failure.code}: ${failure.description}`,
      ]),
    );
  }
  total.rejected.sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  return isolation.trials;
}

/** Records rejected messages in projection_errors (once per position). */
async function recordRejected(
  trx: Transaction<Database>,
  key: CheckpointPosition,
  rejected: readonly RejectedMessage[],
): Promise<void> {
  if (rejected.length === 0) return;
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

/**
 * Classifies messages, records the new ones in the history table and folds them into their
 * rows. Throws when a statement or `evolve` fails (the caller's transaction or savepoint
 * then undoes all of it).
 */
async function applyMessages<S extends AggregateState>(
  trx: Transaction<Database>,
  definition: ProjectorDefinition<S>,
  schema: string,
  input: BatchInput,
  messages: readonly BatchMessage[],
): Promise<Applied> {
  const { candidates, rejected, ignored, unknown, duplicates } = classify(definition, messages);
  const newIds = await insertHistoryRows(trx, definition, schema, input, candidates);
  const fresher = candidates.filter((c) => newIds.has(c.event.event_id));
  const rowsWritten = await foldAndWrite(trx, definition, schema, input.partition, fresher);
  let latestReceivedAt: string | null = null;
  for (const c of fresher) {
    if (c.receivedAt !== null && (latestReceivedAt === null || c.receivedAt > latestReceivedAt)) {
      latestReceivedAt = c.receivedAt;
    }
  }
  return {
    applied: fresher.length,
    duplicates: duplicates + candidates.length - fresher.length,
    ignored,
    unknown,
    rejected,
    rowsWritten,
    latestReceivedAt,
  };
}

function addTo(total: Applied, more: Applied): void {
  total.applied += more.applied;
  total.duplicates += more.duplicates;
  total.ignored += more.ignored;
  total.unknown += more.unknown;
  total.rejected.push(...more.rejected);
  total.rowsWritten += more.rowsWritten;
  if (
    more.latestReceivedAt !== null &&
    (total.latestReceivedAt === null || more.latestReceivedAt > total.latestReceivedAt)
  ) {
    total.latestReceivedAt = more.latestReceivedAt;
  }
}

/** The envelope of a message that decoded before (for the ids of a rejection), else null. */
function envelopeOf(message: BatchMessage): { event_id: string; event_type: string } | null {
  const text = message.value?.toString('utf8') ?? null;
  if (text === null || exceedsJsonDepth(text)) return null;
  const decoded = decodeEvent(text);
  return 'envelope' in decoded ? decoded.envelope : null;
}

function reject(
  message: BatchMessage,
  envelope: { event_id: string; event_type: string } | null,
  reason: RejectedMessage['reason'],
  details: string[],
): RejectedMessage {
  return {
    offset: message.offset,
    eventId: storable(envelope?.event_id ?? header(message, HEADERS.eventId)),
    eventType: storable(envelope?.event_type ?? header(message, HEADERS.eventType)),
    reason,
    details: details.slice(0, 10).map((d) => storable(d, 500) ?? ''),
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
  const mine = (type: string) => aggregateOf(type) === readModel.aggregate;
  for (const message of messages) {
    const text = message.value === null ? null : message.value.toString('utf8');
    // Before parsing: every later step (stringify, clone, jsonb) recurses per level.
    if (text !== null && exceedsJsonDepth(text)) {
      const type = header(message, HEADERS.eventType);
      if (type !== null && !mine(type)) skip(message, 'IGNORED');
      else {
        rejected.push(
          reject(message, null, 'TOO_DEEPLY_NESTED', [
            `arrays or objects nested deeper than ${MAX_JSON_DEPTH} levels`,
          ]),
        );
      }
      continue;
    }
    const decoded = decodeFor(readModel.aggregate, text);
    if (decoded === OTHER_AGGREGATE) {
      skip(message, 'IGNORED');
      continue;
    }
    if (decoded.ok) {
      const id = readModel.idOf(decoded.event);
      if (id === undefined) {
        // Ours but without a usable id can only be a schema gap; other aggregates are ignored.
        skip(message, 'IGNORED');
        continue;
      }
      if (text !== null && NUL.test(text)) {
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

/** {@link decodeFor}'s answer for another aggregate's event with a valid envelope. */
const OTHER_AGGREGATE = Symbol('OTHER_AGGREGATE');

/**
 * {@link decodeEvent} for a projector of `aggregate`, without validating the data of other
 * aggregates' events: whatever their data holds (valid, invalid, or a type NovaMed added), a
 * projector ignores an event of another aggregate, so checking it is wasted work, and two of
 * three messages are such events for each of the three projectors. An invalid message (not
 * JSON, no valid envelope) is still decoded in full, as every projector rejects it.
 */
function decodeFor(
  aggregate: AggregateKind,
  text: string | null,
): DecodedEvent | typeof OTHER_AGGREGATE {
  if (text === null) return decodeEvent(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return decodeEvent(text);
  }
  const envelope = parseEnvelope(parsed);
  if (!envelope.ok) return decodeEvent(text);
  if (aggregateOf(envelope.envelope.event_type) !== aggregate) return OTHER_AGGREGATE;
  const checked = validateEvent(envelope.envelope);
  return checked.ok
    ? { ok: true, envelope: envelope.envelope, event: checked.event }
    : { ok: false, reason: checked.reason, envelope: envelope.envelope, errors: checked.errors };
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
    let state: S;
    try {
      state = readModel.evolve(current?.state ?? readModel.initial(id, event.clinic_id), event);
    } catch (error) {
      throw new EvolveError(error);
    }
    working.set(id, {
      id,
      state,
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
