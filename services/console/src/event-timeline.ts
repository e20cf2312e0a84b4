import type { AggregateMessage } from './aggregate-messages.js';

/** An event the read model recorded (its history table, through the analytics view). */
export interface HistoryEvent {
  eventId: string;
  eventType: string;
  /** NovaMed's timestamp, ISO 8601. */
  timestamp: string;
  receivedAt: string | null;
  partition: number;
  offset: string;
}

/** A message the projector refused (`novamed.projection_errors`). */
export interface RejectedMessage {
  eventId: string | null;
  eventType: string | null;
  partition: number;
  offset: string;
  reason: string;
  details: string[];
}

/** What became of an event. */
export type EventOutcome =
  | { status: 'applied' }
  | { status: 'rejected'; reason: string; details: string[] }
  /** In the topic, neither applied nor rejected yet: the projector is behind. */
  | { status: 'pending' };

/** One event of an entity's timeline (duplicates folded into it). */
export interface TimelineEntry {
  eventId: string | null;
  eventType: string | null;
  /** NovaMed's timestamp; null when unknown (a rejected body without one). */
  timestamp: string | null;
  /** When the ingress first received it. */
  receivedAt: string | null;
  /** Partition and offset of the message that took effect (or the first delivery). */
  partition: number;
  offset: string;
  /** Deliveries seen in the topic (1 = no duplicate); null when the topic was not read. */
  deliveries: number | null;
  /** Offsets of the other deliveries. */
  duplicateOffsets: string[];
  outcome: EventOutcome;
}

/**
 * An entity's timeline: its recorded events, every delivery of them found in the topic
 * (`messages`, null when the topic could not be read), and the messages a projector rejected,
 * in NovaMed time order (unknown times last, by offset). Only messages whose type starts with
 * `typePrefix` count (`order:`): a medication request's key also carries its refills' events.
 */
export function eventTimeline(
  typePrefix: string,
  history: readonly HistoryEvent[],
  messages: readonly AggregateMessage[] | null,
  rejected: readonly RejectedMessage[],
): TimelineEntry[] {
  const ours = (messages ?? []).filter((m) => m.eventType?.startsWith(typePrefix) ?? false);
  const deliveries = new Map<string, AggregateMessage[]>();
  for (const m of ours) {
    if (m.eventId === null) continue;
    const list = deliveries.get(m.eventId) ?? [];
    list.push(m);
    deliveries.set(m.eventId, list);
  }
  const rejectionAt = new Map(rejected.map((r) => [`${r.partition}:${r.offset}`, r]));
  const rejectionOf = (eventId: string, copies: readonly AggregateMessage[]) =>
    copies.map((c) => rejectionAt.get(`${c.partition}:${c.offset}`)).find((r) => r) ??
    rejected.find((r) => r.eventId === eventId);
  const entries: TimelineEntry[] = [];
  const seen = new Set<string>();
  for (const h of history) {
    seen.add(h.eventId);
    const copies = deliveries.get(h.eventId) ?? [];
    entries.push({
      eventId: h.eventId,
      eventType: h.eventType,
      timestamp: h.timestamp,
      receivedAt: h.receivedAt ?? earliest(copies.map((c) => c.receivedAt)),
      partition: h.partition,
      offset: h.offset,
      deliveries: messages === null ? null : Math.max(1, copies.length),
      duplicateOffsets: copies.map((c) => c.offset).filter((o) => o !== h.offset),
      outcome: { status: 'applied' },
    });
  }
  for (const [eventId, copies] of deliveries) {
    if (seen.has(eventId)) continue;
    seen.add(eventId);
    const first = copies[0] as AggregateMessage;
    const rejection = rejectionOf(eventId, copies);
    entries.push({
      eventId,
      eventType: first.eventType,
      timestamp: first.timestamp,
      receivedAt: earliest(copies.map((c) => c.receivedAt)),
      partition: rejection?.partition ?? first.partition,
      offset: rejection?.offset ?? first.offset,
      deliveries: copies.length,
      duplicateOffsets: copies
        .map((c) => c.offset)
        .filter((o) => o !== (rejection?.offset ?? first.offset)),
      outcome: rejection
        ? { status: 'rejected', reason: rejection.reason, details: rejection.details }
        : { status: 'pending' },
    });
  }
  for (const r of rejected) {
    if (r.eventId !== null && seen.has(r.eventId)) continue;
    if (r.eventId !== null) seen.add(r.eventId);
    entries.push({
      eventId: r.eventId,
      eventType: r.eventType,
      timestamp: null,
      receivedAt: null,
      partition: r.partition,
      offset: r.offset,
      deliveries: null,
      duplicateOffsets: [],
      outcome: { status: 'rejected', reason: r.reason, details: r.details },
    });
  }
  return entries.sort(compareEntries);
}

function earliest(values: readonly (string | null)[]): string | null {
  let min: string | null = null;
  for (const v of values) if (v !== null && (min === null || v < min)) min = v;
  return min;
}

function compareEntries(a: TimelineEntry, b: TimelineEntry): number {
  if (a.timestamp !== null && b.timestamp !== null) {
    const byTime = Date.parse(a.timestamp) - Date.parse(b.timestamp);
    if (byTime !== 0) return byTime;
  } else if (a.timestamp !== b.timestamp) {
    return a.timestamp === null ? 1 : -1;
  }
  return a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset));
}
