import { createKafka, requireKafkaConnection, runService } from '@novamed-stream/service-kit';
import { sql } from 'kysely';
import { buildApp } from './build-app.js';
import { loadConfig } from './config.js';
import { createConsoleDb } from './console-db.js';
import { errorCode } from './live-sampler.js';
import { createLogger } from './logger.js';

// The only file that reads process.env: everything else receives typed options.

/** A stop (closing the live streams, the Kafka admin and the pool) gets this long, then exit 1. */
const SHUTDOWN_TIMEOUT_MS = 5000;

const result = loadConfig(process.env);
if (!result.ok) {
  process.stderr.write(`console: invalid configuration:\n  ${result.errors.join('\n  ')}\n`);
  process.exit(1);
}
const { config } = result;
const logger = createLogger({ level: config.logLevel });

await runService({
  name: 'console',
  logger,
  shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
  start: async () => {
    const db = createConsoleDb({
      connectionString: config.databaseUrl,
      role: config.databaseRole,
      ...(config.databaseCaFile === undefined ? {} : { caFile: config.databaseCaFile }),
    });
    try {
      const who = await sql<{ role: string }>`select current_user as role`.execute(db);
      if (who.rows[0]?.role !== config.databaseRole) throw new Error('role not taken');
    } catch (error) {
      await db.destroy().catch(() => undefined);
      throw new Error(
        `cannot connect to DATABASE_URL as role ${config.databaseRole} (${errorCode(error)}): run the migrations (they create the role) and make the login a member of it (grant ${config.databaseRole} to <login>)`,
      );
    }
    await requireKafkaConnection({
      clientId: 'novamed-console',
      brokers: config.kafkaBrokers,
      connection: config.kafkaConnection,
    }).catch(async (error: unknown) => {
      await db.destroy().catch(() => undefined);
      throw error;
    });
    const app = await buildApp({
      apiKeys: config.apiKeys,
      db,
      kafka: createKafka({
        clientId: 'novamed-console',
        brokers: config.kafkaBrokers,
        logger,
        // Few connection retries: a page waiting for an unreachable broker shows 503 soon.
        retry: { retries: 2 },
        connection: config.kafkaConnection,
      }),
      topic: config.eventsTopic,
      metrics: config.metrics,
      sampleIntervalMs: config.sampleIntervalMs,
      logger,
    });
    await app.listen({ port: config.port, host: config.host });
    return { app, db };
  },
  stop: async ({ app, db }) => {
    try {
      await app.close();
    } finally {
      await db.destroy();
    }
  },
});
