import { EnvType } from '@novamed-stream/service-kit';
import { Type } from '@sinclair/typebox';

/** The knobs of `npm run bench:ingress` (see bench/ingress/run.ts). */
export const IngressBenchSettings = Type.Object({
  /** autocannon connections. */
  BENCH_CONNECTIONS: EnvType.integer(1, 10_000, { default: 100 }),
  /** Seconds per measurement. */
  BENCH_DURATION_S: EnvType.integer(1, 3600, { default: 10 }),
  /** Seconds of warm-up before the measurements. */
  BENCH_WARMUP_S: EnvType.integer(0, 3600, { default: 3 }),
  /** Interleaved rounds over the three targets. */
  BENCH_ROUNDS: EnvType.integer(1, 100, { default: 3 }),
  /** An external Kafka instead of a local stack. */
  KAFKA_BROKERS: Type.Optional(EnvType.brokers()),
});

/** The knobs of one bench-server.ts child process, set by run.ts. */
export const IngressBenchServerSettings = Type.Object({
  BENCH_KAFKA_BROKERS: EnvType.brokers(),
  BENCH_TOPIC: EnvType.string({ default: 'bench.events' }),
  BENCH_QUARANTINE_TOPIC: EnvType.string({ default: 'bench.quarantine' }),
  BENCH_API_KEY: EnvType.string({ minLength: 16 }),
  LOG_LEVEL: EnvType.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
  /** The ingress appender's linger (unset: its default). */
  LINGER_MS: Type.Optional(EnvType.integer(0, 10_000)),
});
