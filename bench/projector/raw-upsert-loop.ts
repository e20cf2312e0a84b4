import type { NovaMedEvent } from '@novamed-stream/events';
import type { ProjectorDefinition } from '@novamed-stream/projection';
import type { AggregateState } from '@novamed-stream/read-models';
import type { ConsumerConfig } from 'kafkajs';
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

/** Batches seen and time spent in the per-batch transaction. */
export interface LoopStats {
  batches: number;
  messages: number;
  applySeconds: number;
}

interface Working {
  state: AggregateState;
  eventsApplied: number;
  offset: string;
}

/**
 * (a) The upper limit: a plain kafkajs consumer; per batch only `JSON.parse` (no schema
 * validation), a fold with the pure `evolve` over states kept in memory (no row loads), and
 * per read model one multi-row history insert (`ON CONFLICT DO NOTHING`) plus one multi-row
 * state upsert, in one transaction. No checkpoint, no locks, no per-batch checks; offsets are
 * committed by kafkajs's auto-commit.
 */
export async function runRawUpsertLoop(options: RawUpsertLoopOptions): Promise<LoopStats> {
  const byAggregate = new Map(options.definitions.map((d) => [d.readModel.aggregate as string, d]));
  const working = new Map<string, Map<string, Working>>(
    options.definitions.map((d) => [d.name, new Map()]),
  );
  const seen = new Set<string>();
  const stats: LoopStats = { batches: 0, messages: 0, applySeconds: 0 };
  const consumer = options.clock.kafka.consumer({ groupId: options.groupId, ...options.consumer });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: options.partitionsConcurrently,
      eachBatch: async ({ batch }) => {
        if (batch.messages.length === 0) return;
        const started = performance.now();
        const history = new Map<ProjectorDefinition, HistoryRow[]>();
        const changed = new Map<ProjectorDefinition, Map<string, StateRow<AggregateState>>>();
        for (const message of batch.messages) {
          if (message.value === null) continue;
          const event = JSON.parse(message.value.toString('utf8')) as NovaMedEvent;
          const definition = byAggregate.get(
            event.event_type.slice(0, event.event_type.indexOf(':')),
          );
          if (definition === undefined) continue;
          const id = definition.readModel.idOf(event);
          if (id === undefined) continue;
          const receivedAt = message.headers?.['novamed-received-at']?.toString() ?? null;
          const rows = history.get(definition) ?? [];
          rows.push({ event, id, offset: message.offset, receivedAt });
          history.set(definition, rows);
          if (seen.has(event.event_id)) continue;
          seen.add(event.event_id);
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
        stats.batches += 1;
        stats.messages += batch.messages.length;
        stats.applySeconds += (performance.now() - started) / 1000;
        options.clock.reached(batch.partition, (BigInt(batch.lastOffset()) + 1n).toString());
      },
    });
    await options.clock.untilDone(options.timeoutMs);
  } finally {
    await consumer.disconnect();
  }
  return stats;
}
