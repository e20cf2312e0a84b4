import { aggregateOf } from '@novamed-stream/events';
import { type ProjectorDefinition, versionSchema } from '@novamed-stream/projection';
import type { AggregateState } from '@novamed-stream/read-models';
import type { MixMessage } from '@novamed-stream/testkit';
import { sql } from 'kysely';
import type { AnyDb } from './table-writes.js';

/** Appends one event the way the measured path does; resolves true on a 200 / an ack. */
export type SendEvent = (message: MixMessage) => Promise<boolean>;

/** Options of {@link measureFreshness}. */
export interface FreshnessOptions {
  send: SendEvent;
  /** A pool of its own: the polling must not queue behind the projectors' transactions. */
  db: AnyDb;
  /** The running projectors and the version each writes. */
  targets: ReadonlyArray<{ definition: ProjectorDefinition<AggregateState>; version: number }>;
  warmup: readonly MixMessage[];
  measured: readonly MixMessage[];
  ratePerSecond: number;
  pollIntervalMs: number;
  /** Give up waiting for the last rows after this long. */
  drainTimeoutMs: number;
  /** Called right before the measured sends and after the last row was seen (load stats). */
  around?: (phase: 'start' | 'end') => Promise<void>;
}

/** Latency percentiles in ms. */
export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Outcome of {@link measureFreshness}. */
export interface FreshnessResult {
  sent: number;
  failed: number;
  /** Acknowledged but never visible within the drain timeout. */
  missing: number;
  /** The achieved send rate. */
  ratePerSecond: number;
  /** Send to 200 (or ack). */
  ack: Percentiles;
  /** 200 (or ack) to the row visible in Postgres, all events. */
  visible: Percentiles;
  /** The same, per aggregate kind. */
  visibleByKind: Record<string, Percentiles>;
  /**
   * Where the time goes, from the history rows: `received_at` (the ingress's header) and
   * `recorded_at` (`now()` = start of the projector's transaction), on the same host's clock.
   */
  breakdown: {
    /** Ingress received the webhook -> the projector's transaction began. */
    receivedToTransaction: Percentiles;
    /** 200 seen by the sender -> the projector's transaction began (negative: before). */
    ackToTransaction: Percentiles;
    /** Transaction began -> row seen by the poller (transaction + commit + poll delay). */
    transactionToVisible: Percentiles;
  };
}

interface Tracked {
  kind: string;
  sentAt: number;
  ackAt?: number;
  visibleAt?: number;
}

/** Percentiles by nearest rank. */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ??
    Number.NaN;
  return {
    count: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** The events of one measurement, shared by the sender and the poller. */
interface Tracking {
  readonly options: FreshnessOptions;
  readonly tracked: Map<string, Tracked>;
  /** Sent, not yet seen in Postgres. */
  readonly unseen: Set<string>;
  readonly byKind: Map<string, FreshnessOptions['targets'][number]>;
  failed: number;
  polling: boolean;
}

/**
 * Sends events at a steady rate (each on its own schedule, not waiting for the previous
 * answer) and, for each one acknowledged, measures the time until its event_id is in its
 * projector's history table (written in the same transaction as the state row, so the row
 * reflects the event at the same instant). The history tables are polled every
 * `pollIntervalMs` with one query for all pending ids; the visibility time is the poll's
 * start, so the figure is at most one poll interval (plus a query) late.
 */
export async function measureFreshness(options: FreshnessOptions): Promise<FreshnessResult> {
  const state: Tracking = {
    options,
    tracked: new Map(),
    unseen: new Set(),
    byKind: new Map(options.targets.map((t) => [t.definition.readModel.aggregate as string, t])),
    failed: 0,
    polling: true,
  };
  const poller = pollUntilStopped(state);
  try {
    // Warm-up (consumers joined, connections open, JIT): sent and awaited, not counted.
    await sendAll(state, options.warmup);
    await drain(state);
    state.tracked.clear();
    state.unseen.clear();
    state.failed = 0;
    await options.around?.('start');
    const { seconds } = await sendAll(state, options.measured);
    await drain(state);
    await options.around?.('end');
    const times = await historyTimes(options, [...state.tracked.keys()]);
    return resultOf(state, seconds, times);
  } finally {
    state.polling = false;
    await poller;
  }
}

/** Polls the history tables for every unseen event until `state.polling` is false. */
async function pollUntilStopped(state: Tracking): Promise<void> {
  const { options, tracked, unseen, byKind } = state;
  while (state.polling) {
    const pending = new Map<string, string[]>();
    for (const id of unseen) {
      const kind = tracked.get(id)?.kind ?? 'unknown';
      const ids = pending.get(kind) ?? [];
      ids.push(id);
      pending.set(kind, ids);
    }
    const polledAt = performance.now();
    const queries = [...pending].map(([kind, ids]) => {
      const target = byKind.get(kind)!;
      const table = sql.table(
        `${versionSchema(target.definition.name, target.version)}.${target.definition.table.eventsTable}`,
      );
      return sql`select event_id from ${table} where event_id = any(${ids}::text[])`;
    });
    if (queries.length > 0) {
      const found = await sql<{
        event_id: string;
      }>`${sql.join(queries, sql` union all `)}`.execute(options.db);
      for (const { event_id } of found.rows) {
        const t = tracked.get(event_id);
        if (t !== undefined && t.visibleAt === undefined) t.visibleAt = polledAt;
        unseen.delete(event_id);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs));
  }
}

/** Sends each message on its own schedule at the options' rate; resolves when all answered. */
async function sendAll(
  state: Tracking,
  messages: readonly MixMessage[],
): Promise<{ seconds: number }> {
  const { options, tracked, unseen } = state;
  const interval = 1000 / options.ratePerSecond;
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  const fail = (eventId: string) => {
    state.failed += 1;
    tracked.delete(eventId);
    unseen.delete(eventId);
  };
  for (const [i, message] of messages.entries()) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const event = JSON.parse(message.value.toString('utf8')) as {
      event_id: string;
      event_type: string;
    };
    const t: Tracked = {
      kind: aggregateOf(event.event_type) ?? 'unknown',
      sentAt: performance.now(),
    };
    tracked.set(event.event_id, t);
    unseen.add(event.event_id);
    inFlight.push(
      options.send(message).then(
        (ok) => {
          if (ok) t.ackAt = performance.now();
          else fail(event.event_id);
        },
        () => fail(event.event_id),
      ),
    );
  }
  await Promise.all(inFlight);
  return { seconds: (performance.now() - start) / 1000 };
}

/** Waits until every sent event was seen, or the drain timeout. */
async function drain({ options, unseen }: Tracking): Promise<void> {
  const deadline = performance.now() + options.drainTimeoutMs;
  while (performance.now() < deadline && unseen.size > 0) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The percentiles of the measured events, overall, per kind and per step of the path. */
function resultOf(
  { options, tracked, byKind, failed }: Tracking,
  seconds: number,
  times: Map<string, { receivedAt: number; recordedAt: number }>,
): FreshnessResult {
  const wall = (t: number) => performance.timeOrigin + t;
  const breakdown = {
    receivedToTransaction: [] as number[],
    ackToTransaction: [] as number[],
    transactionToVisible: [] as number[],
  };
  for (const [id, t] of tracked) {
    const row = times.get(id);
    if (row === undefined || t.ackAt === undefined || t.visibleAt === undefined) continue;
    breakdown.receivedToTransaction.push(row.recordedAt - row.receivedAt);
    breakdown.ackToTransaction.push(row.recordedAt - wall(t.ackAt));
    breakdown.transactionToVisible.push(wall(t.visibleAt) - row.recordedAt);
  }
  const done = [...tracked.values()].filter((t) => t.ackAt !== undefined);
  const visible = done.filter((t) => t.visibleAt !== undefined);
  const latency = (t: Tracked) => Math.max(0, t.visibleAt! - t.ackAt!);
  const visibleByKind: Record<string, Percentiles> = {};
  for (const kind of byKind.keys()) {
    visibleByKind[kind] = percentiles(visible.filter((t) => t.kind === kind).map(latency));
  }
  return {
    sent: options.measured.length,
    failed,
    missing: done.length - visible.length,
    ratePerSecond: options.measured.length / seconds,
    ack: percentiles(done.map((t) => t.ackAt! - t.sentAt)),
    visible: percentiles(visible.map(latency)),
    visibleByKind,
    breakdown: {
      receivedToTransaction: percentiles(breakdown.receivedToTransaction),
      ackToTransaction: percentiles(breakdown.ackToTransaction),
      transactionToVisible: percentiles(breakdown.transactionToVisible),
    },
  };
}

/** `received_at` and `recorded_at` (epoch ms) of the given events, from every history table. */
async function historyTimes(
  options: FreshnessOptions,
  ids: readonly string[],
): Promise<Map<string, { receivedAt: number; recordedAt: number }>> {
  const queries = options.targets.map((target) => {
    const table = sql.table(
      `${versionSchema(target.definition.name, target.version)}.${target.definition.table.eventsTable}`,
    );
    return sql`select event_id, extract(epoch from received_at) * 1000 as received,
      extract(epoch from recorded_at) * 1000 as recorded
      from ${table} where event_id = any(${ids}::text[])`;
  });
  const result = await sql<{ event_id: string; received: string; recorded: string }>`${sql.join(
    queries,
    sql` union all `,
  )}`.execute(options.db);
  return new Map(
    result.rows.map((r) => [
      r.event_id,
      { receivedAt: Number(r.received), recordedAt: Number(r.recorded) },
    ]),
  );
}
