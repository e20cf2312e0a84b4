import type { Database } from '@novamed-stream/db';
import { createProjector, type ProjectorDefinition } from '@novamed-stream/projection';
import type { AggregateState } from '@novamed-stream/read-models';
import type { Kysely } from 'kysely';
import type { RunClock } from './run-clock.js';

/** One projector of a replay, with its own clock (its own Kafka client), pool and version. */
export interface ReplayMember {
  definition: ProjectorDefinition<AggregateState>;
  version: number;
  clock: RunClock;
  db: Kysely<Database>;
}

/** Options of {@link replayProjectors}. */
export interface ReplayOptions {
  members: readonly ReplayMember[];
  topic: string;
  /** createProjector's knobs; undefined: its defaults. */
  maxBytesPerPartition?: number | undefined;
  partitionsConcurrently?: number | undefined;
  timeoutMs: number;
}

/** What one projector did during a replay. */
export interface ReplayStats {
  name: string;
  seconds: number;
  applied: number;
  duplicates: number;
  ignored: number;
  batches: number;
  messages: number;
  applySeconds: number;
  databaseRetries: number;
}

/**
 * (c) The runtime itself: `createProjector` for each member, in parallel (as three services
 * would run), each replaying the topic from offset 0 into a fresh version; resolves when every
 * member's checkpoints reached the topic's end.
 */
export async function replayProjectors(options: ReplayOptions): Promise<ReplayStats[]> {
  const stats = options.members.map((m) => ({
    name: m.definition.name,
    seconds: 0,
    applied: 0,
    duplicates: 0,
    ignored: 0,
    batches: 0,
    messages: 0,
    applySeconds: 0,
    databaseRetries: 0,
  }));
  const projectors = options.members.map((member, i) => {
    const s = stats[i]!;
    return createProjector({
      definition: member.definition,
      version: member.version,
      kafka: member.clock.kafka,
      db: member.db,
      topic: options.topic,
      deadLetterTopic: null,
      groupId: `bench-${member.definition.name}-v${member.version}`,
      ...(options.maxBytesPerPartition === undefined
        ? {}
        : { maxBytesPerPartition: options.maxBytesPerPartition }),
      ...(options.partitionsConcurrently === undefined
        ? {}
        : { partitionsConcurrently: options.partitionsConcurrently }),
      onBatch: ({ partition, outcome }) => {
        s.applied += outcome.applied;
        s.duplicates += outcome.duplicates;
        s.ignored += outcome.ignored;
        member.clock.reached(partition, outcome.nextOffset);
      },
    });
  });
  try {
    await Promise.all(projectors.map((p) => p.start()));
    await Promise.all(options.members.map((m) => m.clock.untilDone(options.timeoutMs)));
  } finally {
    await Promise.all(projectors.map((p) => p.stop()));
  }
  for (const [i, projector] of projectors.entries()) {
    const s = stats[i]!;
    const labels = (await projector.metrics.batchDuration.get()).values;
    s.applySeconds = labels.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    s.batches = labels.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const sizes = (await projector.metrics.batchSize.get()).values;
    s.messages = sizes.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    s.databaseRetries = (await projector.metrics.databaseRetries.get()).values[0]?.value ?? 0;
    s.seconds = options.members[i]!.clock.seconds();
  }
  return stats;
}
