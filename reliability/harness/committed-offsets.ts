import type { Database } from '@novamed-stream/db';
import { liveVersion, projectorGroupId, readCheckpoints } from '@novamed-stream/projection';
import type { Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';

/** A partition whose committed Kafka offset differs from the projector's Postgres checkpoint. */
export interface OffsetGap {
  projector: string;
  partition: number;
  committed: string;
  checkpoint: string;
}

/**
 * Compares each projector's committed Kafka offsets (its consumer group, what lag tools read)
 * with its Postgres checkpoints (what it resumes from), partition by partition; returns the
 * partitions where they differ (an offset never committed counts as `-1`).
 */
export async function offsetGaps(
  db: Kysely<Database>,
  kafka: Kafka,
  topic: string,
  projectors: readonly string[],
): Promise<OffsetGap[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const gaps: OffsetGap[] = [];
    for (const projector of projectors) {
      const version = (await liveVersion(db, projector)) ?? 1;
      const checkpoints = await readCheckpoints(db, { projector, version, topic });
      const groupId = projectorGroupId(projector, version, topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const byPartition = new Map(committed?.partitions.map((p) => [p.partition, p.offset]));
      for (const [partition, checkpoint] of checkpoints) {
        const offset = byPartition.get(partition) ?? '-1';
        if (offset !== checkpoint) {
          gaps.push({ projector, partition, committed: offset, checkpoint });
        }
      }
    }
    return gaps;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Polls {@link offsetGaps} until there is none or `timeoutMs` passed; returns the last gaps
 * and how long it took.
 */
export async function waitOffsetsCommitted(
  db: Kysely<Database>,
  kafka: Kafka,
  topic: string,
  projectors: readonly string[],
  timeoutMs: number,
): Promise<{ gaps: OffsetGap[]; ms: number }> {
  const started = Date.now();
  let gaps = await offsetGaps(db, kafka, topic, projectors);
  while (gaps.length > 0 && Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 250));
    gaps = await offsetGaps(db, kafka, topic, projectors);
  }
  return { gaps, ms: Date.now() - started };
}
