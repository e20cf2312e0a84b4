import { Kafka, logLevel } from 'kafkajs';
import { sql } from 'kysely';
import { buildApp } from './build-app.js';
import { loadConfig } from './config.js';
import { createConsoleDb } from './console-db.js';
import { errorCode } from './live-sampler.js';
import { createLogger } from './logger.js';

// The only file that reads process.env: everything else receives typed options.

function fail(message: string): never {
  process.stderr.write(`console: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const result = loadConfig(process.env);
  if (!result.ok) fail(`invalid configuration:\n  ${result.errors.join('\n  ')}`);
  const { config } = result;
  const logger = createLogger({ level: config.logLevel });
  const db = createConsoleDb({ connectionString: config.databaseUrl, role: config.databaseRole });
  try {
    const who = await sql<{ role: string }>`select current_user as role`.execute(db);
    if (who.rows[0]?.role !== config.databaseRole) throw new Error('role not taken');
  } catch (error) {
    fail(
      `cannot connect to DATABASE_URL as role ${config.databaseRole} (${errorCode(error)}): run the migrations (they create the role) and make the login a member of it (grant ${config.databaseRole} to <login>)`,
    );
  }
  const kafka = new Kafka({
    clientId: 'novamed-console',
    brokers: config.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  });
  const app = await buildApp({
    apiKeys: config.apiKeys,
    db,
    kafka,
    topic: config.eventsTopic,
    metrics: config.metrics,
    sampleIntervalMs: config.sampleIntervalMs,
    logger,
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    await app.close().catch(() => undefined);
    await db.destroy().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Run by `npm start` (an IPC channel): stop when that process is gone, however it ended.
  if (process.channel) {
    process.on('disconnect', () => void shutdown('parent process gone'));
    process.channel.unref();
  }
  await app.listen({ port: config.port, host: config.host });
}

main().catch((error: unknown) => {
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
});
