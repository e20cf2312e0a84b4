import { randomBytes } from 'node:crypto';
import type { BatchMessage } from '@novamed-stream/projection';
import type { Kafka } from 'kafkajs';
import { CLI_CLIENT_ID } from './connection.js';

/**
 * Reads the messages at the given offsets of a topic (e.g. the ones a projector rejected),
 * with a throw-away consumer group that seeks to each partition's lowest wanted offset and is
 * deleted afterwards. Offsets retention already deleted are simply missing from the result.
 */
export async function readMessages(
  kafka: Kafka,
  topic: string,
  wanted: ReadonlyMap<number, ReadonlySet<string>>,
  timeoutMs = 30_000,
): Promise<Map<number, BatchMessage[]>> {
  const found = new Map<number, BatchMessage[]>();
  const remaining = new Map(
    [...wanted].filter(([, offsets]) => offsets.size > 0).map(([p, o]) => [p, new Set(o)]),
  );
  if (remaining.size === 0) return found;
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${CLI_CLIENT_ID}-read-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    forgetMissing(remaining, offsets);
    if (remaining.size === 0) return found;
    const ends = new Map(
      [...remaining].map(([p, set]) => [
        p,
        [...set].reduce((m, o) => (BigInt(o) > m ? BigInt(o) : m), 0n),
      ]),
    );
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const set = remaining.get(batch.partition);
        const end = ends.get(batch.partition);
        if (!set || end === undefined) return;
        for (const m of batch.messages) {
          if (set.delete(m.offset)) {
            const list = found.get(batch.partition) ?? [];
            list.push({ offset: m.offset, value: m.value, headers: m.headers ?? {} });
            found.set(batch.partition, list);
          }
          if (BigInt(m.offset) >= end) set.clear();
        }
        if (set.size === 0) {
          remaining.delete(batch.partition);
          consumer.pause([{ topic, partitions: [batch.partition] }]);
        }
        if (remaining.size === 0) resolveDone();
      },
    });
    const others = offsets.map((o) => o.partition).filter((p) => !remaining.has(p));
    if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
    for (const [partition, set] of remaining) {
      consumer.seek({ topic, partition, offset: lowest(set).toString() });
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return found;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Drops the wanted offsets outside each partition's [low, high) (deleted or not written yet). */
function forgetMissing(
  remaining: Map<number, Set<string>>,
  offsets: ReadonlyArray<{ partition: number; low: string; high: string }>,
): void {
  for (const { partition, low, high } of offsets) {
    const set = remaining.get(partition);
    if (!set) continue;
    for (const offset of [...set]) {
      if (BigInt(offset) < BigInt(low) || BigInt(offset) >= BigInt(high)) set.delete(offset);
    }
    if (set.size === 0) remaining.delete(partition);
  }
}

function lowest(offsets: ReadonlySet<string>): bigint {
  return [...offsets].reduce((m, o) => (BigInt(o) < m ? BigInt(o) : m), BigInt([...offsets][0]!));
}
