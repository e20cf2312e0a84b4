import { EnvType } from '@novamed-stream/service-kit';
import { type Static, Type } from '@sinclair/typebox';
import type { ConsumerConfig } from 'kafkajs';
import { BenchSettingsError } from '../read-bench-settings.js';

const PHASES = ['a1', 'a', 'b', 'c1', 'c3', 'fresh', 'fresh-orders', 'fresh-all'] as const;

/** The knobs of `npm run bench:projector` (see bench/projector/run.ts). */
export const ProjectorBenchSettings = Type.Object({
  BENCH_EVENTS: EnvType.integer(1, 10_000_000, { default: 120_000 }),
  BENCH_REPEAT: EnvType.integer(1, 100, { default: 3 }),
  BENCH_NAIVE_EVENTS: EnvType.integer(1, 10_000_000, { default: 20_000 }),
  BENCH_NAIVE_SECONDS: EnvType.integer(1, 3600, { default: 30 }),
  BENCH_FRESH_RATE: EnvType.integer(1, 100_000, { default: 200 }),
  BENCH_FRESH_SECONDS: EnvType.integer(1, 3600, { default: 30 }),
  BENCH_RUN_TIMEOUT_S: EnvType.integer(1, 86_400, { default: 300 }),
  BENCH_QUIET_WAIT_S: EnvType.integer(0, 3600, { default: 20 }),
  BENCH_SKIP: Type.Optional(
    EnvType.list(Type.String({ pattern: `^(${PHASES.join('|')})$` }), {
      expected: `a comma-separated list of ${PHASES.join(', ')}`,
    }),
  ),
  BENCH_INPROCESS: EnvType.boolean({ default: false }),
  BENCH_MAX_BYTES_PER_PARTITION: Type.Optional(EnvType.integer(1024, 1024 * 1024 * 1024)),
  BENCH_PARTITIONS_CONCURRENTLY: Type.Optional(EnvType.integer(1, 1000)),
  /** A JSON object of kafkajs consumer settings laid over createProjector's. */
  BENCH_CONSUMER_OVERRIDES: Type.Optional(EnvType.string({ expected: 'a JSON object' })),
  BENCH_COMMIT_EVERY_MS: Type.Optional(EnvType.integer(0, 3_600_000)),
  BENCH_CPU_PROFILE_DIR: Type.Optional(EnvType.string()),
});

/** What {@link ProjectorBenchSettings} reads. */
export type ProjectorBenchSettings = Static<typeof ProjectorBenchSettings>;

/** The projector-child experiment the settings ask for: consumer overrides, commit interval. */
export function projectorExperiment(settings: ProjectorBenchSettings): {
  consumer?: Partial<ConsumerConfig>;
  commitEveryMs?: number;
} {
  const text = settings.BENCH_CONSUMER_OVERRIDES;
  let consumer: unknown;
  if (text !== undefined) {
    try {
      consumer = JSON.parse(text);
    } catch {
      consumer = undefined;
    }
    if (typeof consumer !== 'object' || consumer === null || Array.isArray(consumer)) {
      throw new BenchSettingsError(['BENCH_CONSUMER_OVERRIDES must be a JSON object']);
    }
  }
  return {
    ...(consumer === undefined ? {} : { consumer: consumer as Partial<ConsumerConfig> }),
    ...(settings.BENCH_COMMIT_EVERY_MS === undefined
      ? {}
      : { commitEveryMs: settings.BENCH_COMMIT_EVERY_MS }),
  };
}
