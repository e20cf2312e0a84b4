import type { NovaMedEvent } from '@novamed-stream/events';
import type { ProjectorDefinition } from '@novamed-stream/projection';
import type { AggregateState } from '@novamed-stream/read-models';
import type { ConsumerConfig, KafkaMessage } from 'kafkajs';
import type { RunClock } from './run-clock.js';
import {
  type AnyDb,
  type HistoryRow,
  insertHistory,
  type StateRow,
  upsertStates,
} from './table-writes.js';

/** Options of {@link runRawUpsertLoop}. */
export interface RawUpsertLoopOptions {
  clock: RunClock;
  db: AnyDb;
  topic: string;
  groupId: string;
  /** The read models to write, each into `version`'s tables (created beforehand). */
  definitions: readonly ProjectorDefinition[];
  version: number;
  /** Fetch settings: the same as the runtime's, so batches have the same size. */
  consumer: Pick<ConsumerConfig, 'maxBytesPerPartition' | 'maxBytes' | 'maxWaitTimeInMs'>;
  partitionsConcurrently: number;
  timeoutMs: number;
}

/** Batches seen, events folded and skipped as redeliveries, time in the per-batch work. */
export interface LoopStats {
  batches: number;
  messages: number;
  /** Events folded into a state (first delivery of an event_id of a written read model). */
  applied: number;
  /** Redeliveries skipped by the in-memory set. */
  duplicates: number;
  applySeconds: number;
}

interface Working {
  state: AggregateState;
  eventsApplied: number;
  offset: string;
}

/**
 * (a) The upper bound for a replay from offset 0 into empty tables, given `definitions` (one
 * read model: what one projector's work costs with nothing else).
 *
 * What it does, per batch (the runtime's fetch sizes): `JSON.parse` of every message; for the
 * events of its read models, a fold with the pure `evolve` over states kept in memory; one
 * multi-row history insert (`ON CONFLICT DO NOTHING`, the runtime's statement) and one
 * multi-row state upsert (the runtime's statement) per read model, in one transaction.
 * It dedups, because the rows must be right to be compared: a redelivered `event_id` is
 * skipped by an in-memory `Set` (no database lookup), which is only correct for one process
 * replaying from offset 0 into empty tables.
 *
 * What it does not do (and the runtime must): no schema validation of the events, no row
 * loads (states live in memory, so it cannot resume or share a table), no dedup against the
 * database, no checkpoint row, no partition ownership/fencing, no poison-event isolation or
 * dead letters, no retries, no metrics or logging per batch; offsets are committed by
 * kafkajs's auto-commit, not after the transaction.
 */
export async function runRawUpsertLoop(options: RawUpsertLoopOptions): Promise<LoopStats> {
  const loop: LoopState = {
    byAggregate: new Map(options.definitions.map((d) => [d.readModel.aggregate as string, d])),
    working: new Map(options.definitions.map((d) => [d.name, new Map()])),
    seen: new Set(),
    stats: { batches: 0, messages: 0, applied: 0, duplicates: 0, applySeconds: 0 },
  };
  const consumer = options.clock.kafka.consumer({ groupId: options.groupId, ...options.consumer });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: options.partitionsConcurrently,
      eachBatch: async ({ batch }) => {
        if (batch.messages.length === 0) return;
        const started = performance.now();
        const { history, changed } = foldBatch(loop, batch.messages);
        await options.db.transaction().execute(async (trx) => {
          for (const [definition, rows] of history) {
            await insertHistory(
              trx,
              definition,
              options.version,
              batch.topic,
              batch.partition,
              rows,
              false,
            );
          }
          for (const [definition, rows] of changed) {
            await upsertStates(trx, definition, options.version, batch.partition, [
              ...rows.values(),
            ]);
          }
        });
        loop.stats.batches += 1;
        loop.stats.messages += batch.messages.length;
        loop.stats.applySeconds += (performance.now() - started) / 1000;
        options.clock.reached(batch.partition, (BigInt(batch.lastOffset()) + 1n).toString());
      },
    });
    await options.clock.untilDone(options.timeoutMs);
  } finally {
    await consumer.disconnect();
  }
  return loop.stats;
}

/** What the loop keeps across batches. */
interface LoopState {
  byAggregate: Map<string, ProjectorDefinition>;
  /** States by read model name, then aggregate id. */
  working: Map<string, Map<string, Working>>;
  /** event_ids applied so far (the in-memory dedup). */
  seen: Set<string>;
  stats: LoopStats;
}

/**
 * Parses a batch and folds its first deliveries into the in-memory states: every event of a
 * written read model becomes a history row, and each touched aggregate one state row.
 */
function foldBatch(
  loop: LoopState,
  messages: readonly KafkaMessage[],
): {
  history: Map<ProjectorDefinition, HistoryRow[]>;
  changed: Map<ProjectorDefinition, Map<string, StateRow<AggregateState>>>;
} {
  const { byAggregate, working, seen, stats } = loop;
  const history = new Map<ProjectorDefinition, HistoryRow[]>();
  const changed = new Map<ProjectorDefinition, Map<string, StateRow<AggregateState>>>();
  for (const message of messages) {
    if (message.value === null) continue;
    const event = JSON.parse(message.value.toString('utf8')) as NovaMedEvent;
    const definition = byAggregate.get(event.event_type.slice(0, event.event_type.indexOf(':')));
    if (definition === undefined) continue;
    const id = definition.readModel.idOf(event);
    if (id === undefined) continue;
    const receivedAt = message.headers?.['novamed-received-at']?.toString() ?? null;
    const rows = history.get(definition) ?? [];
    rows.push({ event, id, offset: message.offset, receivedAt });
    history.set(definition, rows);
    if (seen.has(event.event_id)) {
      stats.duplicates += 1;
      continue;
    }
    seen.add(event.event_id);
    stats.applied += 1;
    const states = working.get(definition.name)!;
    const current = states.get(id) ?? {
      state: definition.readModel.initial(id, event.clinic_id),
      eventsApplied: 0,
      offset: message.offset,
    };
    const next = {
      state: definition.readModel.evolve(current.state, event),
      eventsApplied: current.eventsApplied + 1,
      offset: message.offset,
    };
    states.set(id, next);
    const touched = changed.get(definition) ?? new Map<string, StateRow<AggregateState>>();
    touched.set(id, { id, ...next });
    changed.set(definition, touched);
  }
  return { history, changed };
}
