import { EnvType } from '@novamed-stream/service-kit';
import { Type } from '@sinclair/typebox';

/** Where the projector benchmarks run: an external Kafka and Postgres, or (unset) a local stack. */
export const BenchStackSettings = Type.Object({
  KAFKA_BROKERS: Type.Optional(EnvType.brokers()),
  DATABASE_URL: Type.Optional(EnvType.url(['postgres', 'postgresql'])),
});
