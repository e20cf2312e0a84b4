import type { Database } from '@novamed-stream/db';
import type { Kafka } from 'kafkajs';
import { type Kysely, sql } from 'kysely';
import { readAggregateMessages } from './aggregate-messages.js';
import { ENTITY_KINDS, type EntityKind, type EntityKindInfo } from './entity-kinds.js';
import {
  eventTimeline,
  type HistoryEvent,
  type RejectedMessage,
  type TimelineEntry,
} from './event-timeline.js';
import { type MaskedRecord, maskRecord } from './phi-mask.js';

/** What the explorer reads with. */
export interface ExplorerDeps {
  db: Kysely<Database>;
  /** For the topic scan (duplicates, rejected and pending events); null: history only. */
  kafka: Kafka | null;
  topic: string;
}

/** One hit of {@link searchEntities}. */
export type SearchHit =
  | { type: 'entity'; kind: EntityKind; id: string; via: 'id' | 'event_id' }
  /** An event a projector rejected: it may belong to no entity the read models know. */
  | { type: 'rejected_event'; projector: string; eventId: string; reason: string };

/** The read-model version serving an entity. */
export interface ServingVersion {
  projector: string;
  version: number;
  schema: string;
  liveSince: string | null;
}

/** A linked entity (order <-> medication request <-> refills). */
export interface EntityLink {
  kind: EntityKind;
  id: string;
}

/** Everything the explorer shows of one entity, PHI masked. */
export interface EntityView {
  kind: EntityKind;
  id: string;
  row: MaskedRecord;
  version: ServingVersion | null;
  timeline: TimelineEntry[];
  /** How the topic was read for duplicates: offsets scanned, or why not. */
  topicScan:
    | { status: 'read'; partition: number; from: string; to: string; truncated: boolean }
    | { status: 'unavailable' };
  links: EntityLink[];
}

/** Outcome of {@link loadEntity}. */
export type EntityOutcome = { ok: true; entity: EntityView } | { ok: false; reason: 'NOT_FOUND' };

/** A view that does not exist yet (no live version): treated as empty. */
function isMissingRelation(error: unknown): boolean {
  return (error as { code?: unknown })?.code === '42P01';
}

async function rows<T>(query: Promise<{ rows: T[] }>): Promise<T[]> {
  try {
    return (await query).rows;
  } catch (error) {
    if (isMissingRelation(error)) return [];
    throw error;
  }
}

/**
 * Finds what an id names: an order, a medication request or a refill (by its id), the entity
 * an event belongs to (by event id), or an event a projector rejected.
 */
export async function searchEntities(db: Kysely<Database>, query: string): Promise<SearchHit[]> {
  const hits: SearchHit[] = [];
  for (const info of Object.values(ENTITY_KINDS)) {
    const byId = await rows(
      sql<{
        id: string;
      }>`select ${sql.ref(info.idColumn)} as id from ${sql.table(`analytics.${info.view}`)}
        where ${sql.ref(info.idColumn)} = ${query} limit 1`.execute(db),
    );
    for (const r of byId) hits.push({ type: 'entity', kind: info.kind, id: r.id, via: 'id' });
    const byEvent = await rows(
      sql<{
        id: string;
      }>`select ${sql.ref(info.idColumn)} as id from ${sql.table(`analytics.${info.eventsView}`)}
        where event_id = ${query} limit 1`.execute(db),
    );
    for (const r of byEvent) {
      hits.push({ type: 'entity', kind: info.kind, id: r.id, via: 'event_id' });
    }
  }
  const rejected = await db
    .selectFrom('novamed.projection_errors')
    .select(['projector', 'event_id', 'reason'])
    .where('event_id', '=', query)
    .limit(10)
    .execute();
  for (const r of rejected) {
    hits.push({
      type: 'rejected_event',
      projector: r.projector,
      eventId: r.event_id ?? query,
      reason: r.reason,
    });
  }
  return hits;
}

async function servingVersion(
  db: Kysely<Database>,
  projector: string,
): Promise<ServingVersion | null> {
  const live = await db
    .selectFrom('novamed.projection_versions')
    .select(['version', 'schema_name', 'live_at'])
    .where('projector', '=', projector)
    .where('status', '=', 'live')
    .executeTakeFirst();
  return live
    ? {
        projector,
        version: live.version,
        schema: live.schema_name,
        liveSince: live.live_at?.toISOString() ?? null,
      }
    : null;
}

async function linksOf(
  db: Kysely<Database>,
  info: EntityKindInfo,
  id: string,
  row: Record<string, unknown>,
): Promise<EntityLink[]> {
  const requestId =
    typeof row['medication_request_id'] === 'string' ? row['medication_request_id'] : null;
  switch (info.kind) {
    case 'order':
    case 'refill':
      return requestId ? [{ kind: 'medication_request', id: requestId }] : [];
    case 'medication_request': {
      const related = async (kind: EntityKind) => {
        const other = ENTITY_KINDS[kind];
        const found = await rows(
          sql<{
            id: string;
          }>`select ${sql.ref(other.idColumn)} as id from ${sql.table(`analytics.${other.view}`)}
            where medication_request_id = ${id} order by 1 limit 50`.execute(db),
        );
        return found.map((r) => ({ kind, id: r.id }));
      };
      return [...(await related('order')), ...(await related('refill'))];
    }
    default: {
      const never: never = info.kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

const iso = (value: unknown): string | null =>
  value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : null;

/** The events the read model applied to the entity, in timestamp order. */
async function historyOf(
  db: Kysely<Database>,
  info: EntityKindInfo,
  id: string,
): Promise<HistoryEvent[]> {
  return (
    await rows(
      sql<Record<string, unknown>>`select event_id, event_type, event_timestamp, received_at,
        partition, "offset"::text as "offset"
        from ${sql.table(`analytics.${info.eventsView}`)}
        where ${sql.ref(info.idColumn)} = ${id} order by event_timestamp`.execute(db),
    )
  ).map(
    (r): HistoryEvent => ({
      eventId: String(r['event_id']),
      eventType: String(r['event_type']),
      timestamp: iso(r['event_timestamp']) ?? '',
      receivedAt: iso(r['received_at']),
      partition: Number(r['partition']),
      offset: String(r['offset']),
    }),
  );
}

/**
 * The projector's rejected messages that may be the entity's: those of its events, and every one
 * on its partition from `start` on (the caller keeps the ones of its key).
 */
async function rejectedNear(
  db: Kysely<Database>,
  info: EntityKindInfo,
  topic: string,
  history: readonly HistoryEvent[],
  partition: number,
  start: bigint,
): Promise<RejectedMessage[]> {
  return (
    await db
      .selectFrom('novamed.projection_errors')
      .select(['event_id', 'event_type', 'partition', 'offset', 'reason', 'details'])
      .where('projector', '=', info.projector)
      .where('topic', '=', topic)
      .where((eb) =>
        eb.or([
          eb('event_id', 'in', history.length > 0 ? history.map((h) => h.eventId) : ['']),
          eb.and([eb('partition', '=', partition), eb('offset', '>=', start.toString())]),
        ]),
      )
      .limit(500)
      .execute()
  ).map((e) => ({
    eventId: e.event_id,
    eventType: e.event_type,
    partition: e.partition,
    offset: String(e.offset),
    reason: e.reason,
    details: e.details,
  }));
}

/**
 * One entity: its current row (de-identified view, PHI masked), the version serving it, its
 * timeline (history, plus every delivery of its key in the topic: duplicates, rejected and
 * pending events) and its links.
 */
export async function loadEntity(
  deps: ExplorerDeps,
  kind: EntityKind,
  id: string,
): Promise<EntityOutcome> {
  const { db } = deps;
  const info = ENTITY_KINDS[kind];
  const [row] = await rows(
    sql<Record<string, unknown>>`select * from ${sql.table(`analytics.${info.view}`)}
      where ${sql.ref(info.idColumn)} = ${id}`.execute(db),
  );
  if (row === undefined) return { ok: false, reason: 'NOT_FOUND' };
  const history = await historyOf(db, info, id);
  // The key the aggregate's messages carry (refills travel with their medication request).
  const key =
    kind === 'refill' && typeof row['medication_request_id'] === 'string'
      ? row['medication_request_id']
      : id;
  const partition = history[0]?.partition ?? Number(row['source_partition'] ?? 0);
  const start = history.reduce(
    (min, h) => (BigInt(h.offset) < min ? BigInt(h.offset) : min),
    BigInt(String(row['source_offset'] ?? '0')),
  );
  const scan = deps.kafka
    ? await readAggregateMessages({
        kafka: deps.kafka,
        topic: deps.topic,
        partition,
        key,
        fromOffset: start,
      })
    : ({ ok: false, reason: 'KAFKA_UNAVAILABLE' } as const);
  const rejected = await rejectedNear(db, info, deps.topic, history, partition, start);
  // Errors of other keys on the same partition are not this entity's.
  const messages = scan.ok ? scan.messages : null;
  const ours = messages
    ? rejected.filter(
        (r) =>
          messages.some((m) => m.partition === r.partition && m.offset === r.offset) ||
          history.some((h) => h.eventId === r.eventId),
      )
    : rejected.filter((r) => history.some((h) => h.eventId === r.eventId));
  return {
    ok: true,
    entity: {
      kind,
      id,
      row: maskRecord(row),
      version: await servingVersion(db, info.projector),
      timeline: eventTimeline(info.typePrefix, history, messages, ours),
      topicScan: scan.ok
        ? { status: 'read', partition, from: scan.from, to: scan.to, truncated: scan.truncated }
        : { status: 'unavailable' },
      links: await linksOf(db, info, id, row),
    },
  };
}

/** The identified row and events of an entity (audited reads of `analytics_identified`). */
export interface IdentifiedEntity {
  row: Record<string, unknown> | null;
  /** Each event's full `data`, by event id. */
  eventData: Record<string, unknown>;
}

/**
 * "Show PHI": the entity's row and event data from the identified tier. Each statement is a
 * read of an audited view, so `novamed.phi_access_log` records it (role console_reader).
 */
export async function loadIdentified(
  db: Kysely<Database>,
  kind: EntityKind,
  id: string,
): Promise<IdentifiedEntity> {
  const info = ENTITY_KINDS[kind];
  const [row] = await rows(
    sql<Record<string, unknown>>`select * from ${sql.table(`analytics_identified.${info.view}`)}
      where ${sql.ref(info.idColumn)} = ${id}`.execute(db),
  );
  const events = await rows(
    sql<{ event_id: string; data: unknown }>`select event_id, data
      from ${sql.table(`analytics_identified.${info.eventsView}`)}
      where ${sql.ref(info.idColumn)} = ${id}`.execute(db),
  );
  return {
    row: row ?? null,
    eventData: Object.fromEntries(events.map((e) => [e.event_id, e.data])),
  };
}
