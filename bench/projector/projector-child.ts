/**
 * One projector as its own process, as `services/projector-*` run: `createProjector` with its
 * own Kafka client and pool (mode `runtime`), or the raw batched upsert loop for the same one
 * read model (mode `raw`, the upper bound: see raw-upsert-loop.ts), so both are measured in
 * the same process layout. Forked by projector-processes.ts with a JSON config as argv[2];
 * reports over IPC when its first batch starts, when it reached the given topic ends, and its
 * stats when told to stop.
 */
import { createDb } from '@novamed-stream/db';
import { createProjector, type ProjectorDefinition } from '@novamed-stream/projection';
import { PROJECTORS, type ProjectorName } from '@novamed-stream/projectors';
import { EnvType } from '@novamed-stream/service-kit';
import { Type } from '@sinclair/typebox';
import type { ConsumerConfig, Kafka } from 'kafkajs';
import { readBenchSettings } from '../read-bench-settings.js';
import { runRawUpsertLoop } from './raw-upsert-loop.js';
import { RunClock } from './run-clock.js';
import type { AnyDb } from './table-writes.js';

/** This child's own knob, read as the projector services read it. */
const ProjectorChildSettings = Type.Object({
  OFFSET_COMMIT_INTERVAL_MS: EnvType.duration(0, 86_400_000, { default: 1000 }),
});

/** What the parent passes (argv[2], JSON). */
export interface ChildConfig {
  /** `runtime`: createProjector; `raw`: the raw batched upsert loop for this one read model. */
  mode: 'runtime' | 'raw';
  projector: ProjectorName;
  version: number;
  brokers: string[];
  databaseUrl: string;
  topic: string;
  groupId: string;
  /** Per partition, the offset to reach; empty: run until stopped. */
  ends: Array<[number, string]>;
  maxBytesPerPartition?: number | undefined;
  partitionsConcurrently?: number | undefined;
  /**
   * Experiments without editing the runtime: consumer settings laid over createProjector's
   * (e.g. `{ "minBytes": 16384 }`), and committing offsets to Kafka at most every N ms
   * (skipped commits are covered by the next one; Postgres holds the real checkpoint).
   */
  experiment?: { consumer?: Partial<ConsumerConfig>; commitEveryMs?: number } | undefined;
}

/** What the child reports. `at` is wall-clock ms (performance.timeOrigin-based). */
export type ChildMessage =
  | { type: 'running' }
  | { type: 'started'; at: number }
  | { type: 'done'; at: number }
  | { type: 'stats'; stats: ChildStats }
  | { type: 'failed'; error: string };

/** Counters of one projector process. */
export interface ChildStats {
  applied: number;
  duplicates: number;
  ignored: number;
  batches: number;
  messages: number;
  /** Sum of batch durations (transaction + offset commit), seconds. */
  batchSeconds: number;
  databaseRetries: number;
}

const wall = () => performance.timeOrigin + performance.now();
const send = (message: ChildMessage) => process.send?.(message);

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const definition: ProjectorDefinition = PROJECTORS[config.projector];
  const clock = new RunClock(config.brokers, `bench-${config.groupId}`, new Map(config.ends), {
    started: () => send({ type: 'started', at: wall() }),
    finished: () => send({ type: 'done', at: wall() }),
  });
  if (config.experiment) applyExperiment(clock.kafka, config.experiment);
  const db = createDb({ connectionString: config.databaseUrl, applicationName: config.groupId });
  const stats: ChildStats = {
    applied: 0,
    duplicates: 0,
    ignored: 0,
    batches: 0,
    messages: 0,
    batchSeconds: 0,
    databaseRetries: 0,
  };
  if (config.mode === 'raw') {
    runRaw(config, definition, clock, db, stats);
    return;
  }
  const projector = createProjector({
    definition,
    version: config.version,
    kafka: clock.kafka,
    db,
    topic: config.topic,
    deadLetterTopic: null,
    groupId: config.groupId,
    ...(config.maxBytesPerPartition === undefined
      ? {}
      : { maxBytesPerPartition: config.maxBytesPerPartition }),
    ...(config.partitionsConcurrently === undefined
      ? {}
      : { partitionsConcurrently: config.partitionsConcurrently }),
    // As the services read it (OFFSET_COMMIT_INTERVAL_MS, default 1000: in the background).
    offsetCommitIntervalMs: readBenchSettings(ProjectorChildSettings, process.env)
      .OFFSET_COMMIT_INTERVAL_MS,
    onBatch: ({ partition, outcome }) => {
      stats.applied += outcome.applied;
      stats.duplicates += outcome.duplicates;
      stats.ignored += outcome.ignored;
      clock.reached(partition, outcome.nextOffset);
    },
  });
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'stop') return;
    void (async () => {
      await projector.stop();
      const metric = async (
        m: { get(): Promise<{ values: Array<{ value: number; metricName?: string }> }> },
        suffix: string,
      ) =>
        (await m.get()).values.find((v) => suffix === '' || v.metricName?.endsWith(suffix))
          ?.value ?? 0;
      stats.batches = await metric(projector.metrics.batchDuration, '_count');
      stats.batchSeconds = await metric(projector.metrics.batchDuration, '_sum');
      stats.messages = await metric(projector.metrics.batchSize, '_sum');
      stats.databaseRetries = await metric(projector.metrics.databaseRetries, '');
      await db.destroy();
      send({ type: 'stats', stats });
      process.disconnect?.();
    })();
  });
  await projector.start();
  send({ type: 'running' });
}

/** Mode `raw`: the loop runs until the ends; `stop` waits for it and reports its counters. */
function runRaw(
  config: ChildConfig,
  definition: ProjectorDefinition,
  clock: RunClock,
  db: AnyDb,
  stats: ChildStats,
): void {
  const loop = runRawUpsertLoop({
    clock,
    db,
    topic: config.topic,
    groupId: config.groupId,
    definitions: [definition],
    version: config.version,
    consumer: {
      maxBytesPerPartition: config.maxBytesPerPartition ?? 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      maxWaitTimeInMs: 100,
    },
    partitionsConcurrently: config.partitionsConcurrently ?? 3,
    timeoutMs: 86_400_000,
  });
  loop.catch((error: unknown) => {
    send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
  });
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'stop') return;
    void (async () => {
      const loopStats = await loop;
      Object.assign(stats, {
        applied: loopStats.applied,
        duplicates: loopStats.duplicates,
        batches: loopStats.batches,
        messages: loopStats.messages,
        batchSeconds: loopStats.applySeconds,
      });
      await db.destroy();
      send({ type: 'stats', stats });
      process.disconnect?.();
    })();
  });
  send({ type: 'running' });
}

function applyExperiment(kafka: Kafka, experiment: NonNullable<ChildConfig['experiment']>): void {
  const createConsumer = kafka.consumer.bind(kafka);
  kafka.consumer = (settings) => {
    const consumer = createConsumer({ ...settings, ...experiment.consumer });
    const every = experiment.commitEveryMs;
    if (every !== undefined) {
      const commit = consumer.commitOffsets.bind(consumer);
      let last = 0;
      consumer.commitOffsets = async (offsets) => {
        if (performance.now() - last < every) return;
        last = performance.now();
        await commit(offsets);
      };
    }
    return consumer;
  };
}

main().catch((error: unknown) => {
  send({
    type: 'failed',
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exitCode = 1;
  process.disconnect?.();
});
