import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import type { AggregateState } from '@novamed-stream/read-models';
import { Kafka, logLevel } from 'kafkajs';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import { untilDatabaseReachable } from './database-wait.js';
import { startHealthServer } from './health-server.js';
import { LiveVersionFollower } from './live-version-follower.js';
import { describeError } from './logger.js';
import { logicFingerprint } from './logic-fingerprint.js';
import { createProjector, type Projector } from './projector.js';
import type { ProjectorDefinition } from './projector-definition.js';
import { ProjectorMetrics } from './projector-metrics.js';
import { activateVersion, ensureVersionTables, liveVersion } from './projector-schema.js';
import type { ProjectorServiceConfig } from './projector-service-config.js';

/** A running projector service; `stop()` shuts it down gracefully. */
export interface ProjectorService {
  healthUrl: string;
  /** The version consumed now (it changes when the service follows a new live version). */
  readonly version: number;
  stop(): Promise<void>;
}

async function ensureTopic(
  kafka: Kafka,
  topic: string,
  partitions: number,
  replicationFactor: number,
) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor }],
        waitForLeaders: true,
      });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Boots one projector service: migrates the control schema, picks the version to write
 * (PROJECTION_VERSION, else the live one, else 1, which then becomes live), creates its
 * tables, starts the consumer and the /healthz + /metrics server. Without PROJECTION_VERSION
 * it follows the live version: when a rebuild makes a newer version live, the service stops
 * its consumer and continues on that version from the rebuild's checkpoints (checked every
 * VERSION_POLL_MS; see {@link LiveVersionFollower}).
 */
export async function runProjectorService<S extends AggregateState>(
  definition: ProjectorDefinition<S>,
  config: ProjectorServiceConfig,
  options: { signal?: AbortSignal } = {},
): Promise<ProjectorService> {
  const logger = pino({
    level: config.LOG_LEVEL,
    base: { service: `projector-${definition.name}` },
  });
  const db: Kysely<Database> = createDb({
    connectionString: config.DATABASE_URL,
    applicationName: `projector-${definition.name}`,
  });
  // A database that is down or still starting at boot is waited for (with backoff, up to
  // STARTUP_TIMEOUT_MS), like an outage while running; anything else fails at once.
  let version = await untilDatabaseReachable(
    async () => {
      const migrated = await migrateToLatest(db);
      if (!migrated.ok) {
        throw Object.assign(
          new Error(`migration ${migrated.failed} failed: ${migrated.error.message}`),
          { cause: migrated.error },
        );
      }
      const live = await liveVersion(db, definition.name);
      const chosen = config.PROJECTION_VERSION ?? live ?? 1;
      await ensureVersionTables(db, definition, chosen);
      if (live === undefined) await activateVersion(db, definition, chosen);
      return chosen;
    },
    { timeoutMs: config.STARTUP_TIMEOUT_MS, logger, signal: options.signal },
  ).catch(async (error: unknown) => {
    await db.destroy();
    throw error;
  });

  const kafka = new Kafka({
    clientId: `projector-${definition.name}`,
    brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...rest } = log;
        const entry = { kafkajs: true, broker: rest['broker'], groupId: rest['groupId'] };
        if (level <= logLevel.ERROR) logger.error(entry, String(message));
        else logger.warn(entry, String(message));
      },
  });
  await ensureTopic(
    kafka,
    config.DEAD_LETTER_TOPIC,
    config.TOPIC_PARTITIONS,
    config.TOPIC_REPLICATION_FACTOR,
  );
  const metrics = new ProjectorMetrics();
  // Process metrics (start time, memory, event loop lag), as the ingress has: restarts of a
  // crash-looping process show as changes of process_start_time_seconds.
  collectDefaultMetrics({ register: metrics.registry });
  const makeProjector = (v: number) =>
    createProjector({
      definition,
      version: v,
      kafka,
      db,
      topic: config.EVENTS_TOPIC,
      deadLetterTopic: config.DEAD_LETTER_TOPIC,
      logger,
      metrics,
      stallAfterMs: config.STALL_AFTER_MS,
      lockTimeoutMs: config.LOCK_TIMEOUT_MS,
      partitionsConcurrently: config.PARTITIONS_CONCURRENTLY,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      maxBytesPerPartition: config.FETCH_MAX_BYTES_PER_PARTITION,
      offsetCommitIntervalMs: config.OFFSET_COMMIT_INTERVAL_MS,
    });
  let projector: Projector = makeProjector(version);
  await projector.start();
  const fingerprint = logicFingerprint(definition);
  const follower =
    config.PROJECTION_VERSION === undefined
      ? new LiveVersionFollower({
          version,
          fingerprint,
          intervalMs: config.VERSION_POLL_MS,
          logger,
          readLive: async () => {
            const row = await db
              .selectFrom('novamed.projection_versions')
              .select(['version', 'fingerprint'])
              .where('projector', '=', definition.name)
              .where('status', '=', 'live')
              .executeTakeFirst();
            return row && { version: row.version, fingerprint: row.fingerprint };
          },
          switchTo: async (next) => {
            const previous = projector;
            const candidate = makeProjector(next);
            await previous.stop();
            try {
              await candidate.start();
              projector = candidate;
            } catch (error) {
              await candidate.stop().catch(() => undefined);
              projector = makeProjector(version);
              await projector.start();
              throw error;
            }
            version = next;
          },
        })
      : undefined;
  follower?.start();
  const server = await startHealthServer({
    port: config.HEALTH_PORT,
    host: config.HEALTH_HOST,
    registry: metrics.registry,
    health: () => {
      const health = projector.health();
      const following = follower?.state;
      return {
        ...health,
        healthy: health.healthy && health.running,
        projector: definition.name,
        version,
        ...(following?.status === 'logic-mismatch'
          ? {
              warning: 'LIVE_VERSION_LOGIC_MISMATCH',
              liveVersion: following.liveVersion,
              hint: 'the live version was built by other projection logic: deploy that release',
            }
          : {}),
      };
    },
  });
  logger.info({ version, health: server.url }, 'projector service ready');

  let stopping: Promise<void> | undefined;
  return {
    healthUrl: server.url,
    get version() {
      return version;
    },
    stop() {
      stopping ??= (async () => {
        await follower?.stop();
        await projector.stop();
        await server.close();
        await db.destroy();
        logger.info({}, 'projector service stopped');
      })();
      return stopping;
    },
  };
}

/**
 * The body of a projector service's `main`: validate config, run, stop on SIGTERM/SIGINT.
 * Exits 1 with a one-line reason when it cannot start.
 */
export async function projectorMain<S extends AggregateState>(
  definition: ProjectorDefinition<S>,
  readConfig: () => ProjectorServiceConfig,
): Promise<void> {
  let service: ProjectorService | undefined;
  let stopRequested = false;
  const exitAfterStop = (running: ProjectorService) => {
    // Whatever the stop waits for (a database retry, a broker that is gone), exit soon.
    setTimeout(() => {
      process.stderr.write('shutdown timed out after 10 s: exiting\n');
      process.exit(1);
    }, 10_000).unref();
    return running.stop().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`shutdown failed: ${describeError(error).error}\n`);
        process.exit(1);
      },
    );
  };
  // Installed before anything starts, so a SIGTERM during boot still shuts down cleanly.
  const shutdown = () => {
    if (stopRequested) return;
    stopRequested = true;
    if (service) void exitAfterStop(service);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // A stop while it still waits for the database at boot ends the wait: exit 0.
  const booting = new AbortController();
  process.once('SIGTERM', () => booting.abort());
  process.once('SIGINT', () => booting.abort());
  // Run by `npm start` (an IPC channel): stop when that process is gone, however it ended.
  if (process.channel) {
    process.once('disconnect', () => {
      booting.abort();
      shutdown();
    });
    process.channel.unref();
  }
  try {
    service = await runProjectorService(definition, readConfig(), { signal: booting.signal });
  } catch (error) {
    if (booting.signal.aborted) process.exit(0);
    process.stderr.write(
      `projector-${definition.name} could not start: ${describeError(error).error}\n`,
    );
    process.exit(1);
  }
  if (stopRequested) await exitAfterStop(service);
}
