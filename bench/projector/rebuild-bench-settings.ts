import { EnvType } from '@novamed-stream/service-kit';
import { Type } from '@sinclair/typebox';

/** The knobs of `npm run bench:rebuild` (see bench/projector/rebuild.ts). */
export const RebuildBenchSettings = Type.Object({
  BENCH_EVENTS: EnvType.integer(1, 10_000_000, { default: 120_000 }),
  BENCH_IDLE_SECONDS: EnvType.integer(1, 3600, { default: 15 }),
  BENCH_QUERY_INTERVAL_MS: EnvType.integer(1, 60_000, { default: 20 }),
  BENCH_RUN_TIMEOUT_S: EnvType.integer(1, 86_400, { default: 600 }),
  /** `rebuild --concurrency` (unset: the CLI's default). */
  BENCH_REBUILD_CONCURRENCY: Type.Optional(EnvType.integer(1, 64)),
  BENCH_SLOW_QUERY_MS: EnvType.integer(1, 60_000, { default: 50 }),
});
