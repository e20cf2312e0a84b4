import { decodeEvent, HEADERS, type NovaMedEvent } from '@novamed-stream/events';
import { type ProjectorDefinition, stateFromRow, versionSchema } from '@novamed-stream/projection';
import type { AggregateState } from '@novamed-stream/read-models';
import type { KafkaMessage } from 'kafkajs';
import { sql } from 'kysely';
import type { RunClock } from './run-clock.js';
import { type AnyDb, insertHistory, upsertStates } from './table-writes.js';

/** Options of {@link runNaiveProjector}. */
export interface NaiveProjectorOptions {
  clock: RunClock;
  db: AnyDb;
  topic: string;
  groupId: string;
  definitions: readonly ProjectorDefinition[];
  version: number;
  /** Partitions handled in parallel (the runtime's default, to be fair). */
  partitionsConcurrently: number;
  /** Stop after this many messages... */
  maxMessages: number;
  /** ...or after this long, whichever comes first. */
  maxSeconds: number;
}

/** Messages handled and the measured seconds (first message to stop). */
export interface NaiveStats {
  messages: number;
  seconds: number;
}

/**
 * (b) The naive projector: kafkajs `eachMessage`, one small transaction per event: insert the
 * history row (`ON CONFLICT DO NOTHING RETURNING`), and when it is new select the state row
 * `FOR UPDATE`, evolve it, upsert it. Offsets by kafkajs's auto-commit. Stops after a subset.
 */
export async function runNaiveProjector(options: NaiveProjectorOptions): Promise<NaiveStats> {
  const byAggregate = new Map(options.definitions.map((d) => [d.readModel.aggregate as string, d]));
  let messages = 0;
  let stoppedAt: number | undefined;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const consumer = options.clock.kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  const deadline = { at: Number.POSITIVE_INFINITY };
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: options.partitionsConcurrently,
      eachMessage: async ({ partition, message }) => {
        if (stoppedAt !== undefined) return;
        if (messages === 0) deadline.at = performance.now() + options.maxSeconds * 1000;
        const decoded = decodeEvent(message.value);
        const definition = decoded.ok
          ? byAggregate.get(
              decoded.event.event_type.slice(0, decoded.event.event_type.indexOf(':')),
            )
          : undefined;
        const id = decoded.ok ? definition?.readModel.idOf(decoded.event) : undefined;
        if (decoded.ok && definition !== undefined && id !== undefined) {
          await applyInOwnTransaction(options, definition, id, decoded.event, partition, message);
        }
        messages += 1;
        if (messages >= options.maxMessages || performance.now() >= deadline.at) {
          stoppedAt = performance.now();
          options.clock.finish();
          stop();
        }
      },
    });
    await Promise.race([
      stopped,
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error('naive projector did not finish')),
          (options.maxSeconds + 60) * 1000,
        ).unref(),
      ),
    ]);
  } finally {
    await consumer.disconnect();
  }
  return { messages, seconds: options.clock.seconds() };
}

/**
 * One event in a transaction of its own: the history row, and when it is new the state row
 * selected `FOR UPDATE`, evolved and upserted.
 */
async function applyInOwnTransaction(
  options: NaiveProjectorOptions,
  definition: ProjectorDefinition,
  id: string,
  event: NovaMedEvent,
  partition: number,
  message: KafkaMessage,
): Promise<void> {
  await options.db.transaction().execute(async (trx) => {
    const receivedAt = message.headers?.[HEADERS.receivedAt]?.toString() ?? null;
    const fresh = await insertHistory(
      trx,
      definition,
      options.version,
      options.topic,
      partition,
      [{ event, id, offset: message.offset, receivedAt }],
      true,
    );
    if (fresh.size === 0) return;
    const { table } = definition;
    const schema = versionSchema(definition.name, options.version);
    const row = (
      await sql<Record<string, unknown>>`
        select * from ${sql.table(`${schema}.${table.stateTable}`)}
        where ${sql.ref(table.idColumn)} = ${id} for update`.execute(trx)
    ).rows[0];
    const state: AggregateState =
      row === undefined
        ? definition.readModel.initial(id, event.clinic_id)
        : stateFromRow(definition, row);
    await upsertStates(trx, definition, options.version, partition, [
      {
        id,
        state: definition.readModel.evolve(state, event),
        eventsApplied: Number(row?.['events_applied'] ?? 0) + 1,
        offset: message.offset,
      },
    ]);
  });
}
