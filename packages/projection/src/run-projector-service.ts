import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import type { AggregateState } from '@novamed-stream/read-models';
import {
  ConfigError,
  createKafka,
  createLogger,
  databaseTlsFailure,
  ensureTopics,
  requireKafkaConnection,
  resolveKafkaConnection,
  startHealthServer,
} from '@novamed-stream/service-kit';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import { untilDatabaseReachable } from './database-wait.js';
import { LiveVersionFollower } from './live-version-follower.js';
import { logicFingerprint } from './logic-fingerprint.js';
import { createProjector, type Projector, type ProjectorOptions } from './projector.js';
import type { ProjectorDefinition } from './projector-definition.js';
import { ProjectorMetrics } from './projector-metrics.js';
import { activateVersion, ensureVersionTables, refreshLiveViews } from './projector-schema.js';
import type { ProjectorServiceConfig } from './projector-service-config.js';
import { liveVersion, readLiveVersion } from './version-store.js';

/** A running projector service; `stop()` shuts it down gracefully. */
export interface ProjectorService {
  healthUrl: string;
  /** The version consumed now (it changes when the service follows a new live version). */
  readonly version: number;
  stop(): Promise<void>;
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
  options: { signal?: AbortSignal; logger?: Logger } = {},
): Promise<ProjectorService> {
  const logger =
    options.logger ??
    createLogger({ service: `projector-${definition.name}`, level: config.LOG_LEVEL });
  const { db, version, kafka } = await connect(definition, config, logger, options.signal);
  await ensureDeadLetterTopic(kafka, config, logger, options.signal);
  const metrics = new ProjectorMetrics();
  // Process metrics (start time, memory, event loop lag), as the ingress has: restarts of a
  // crash-looping process show as changes of process_start_time_seconds.
  collectDefaultMetrics({ register: metrics.registry });
  const makeProjector = (v: number) =>
    createProjector(projectorOptions(definition, config, { kafka, db, logger, metrics }, v));
  const current = { version, projector: makeProjector(version) };
  await current.projector.start();
  const follower =
    config.PROJECTION_VERSION === undefined
      ? new LiveVersionFollower({
          version,
          fingerprint: logicFingerprint(definition),
          intervalMs: config.VERSION_POLL_MS,
          logger,
          readLive: () => readLiveVersion(db, definition.name),
          switchTo: (next) => switchProjector(current, next, makeProjector),
        })
      : undefined;
  follower?.start();
  const server = await startHealthServer({
    port: config.HEALTH_PORT,
    host: config.HEALTH_HOST,
    registry: metrics.registry,
    health: () => serviceHealth(definition.name, current.version, current.projector, follower),
  });
  logger.info({ version, health: server.url }, 'projector service ready');

  let stopping: Promise<void> | undefined;
  return {
    healthUrl: server.url,
    get version() {
      return current.version;
    },
    stop() {
      stopping ??= (async () => {
        await follower?.stop();
        await current.projector.stop();
        await server.close();
        await db.destroy();
        logger.info({}, 'projector service stopped');
      })();
      return stopping;
    },
  };
}

/**
 * The database, migrated and with the version to write picked (see {@link bootVersion}), and a
 * Kafka client the broker accepted; the database is closed again when Kafka refuses.
 */
async function connect<S extends AggregateState>(
  definition: ProjectorDefinition<S>,
  config: ProjectorServiceConfig,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<{ db: Kysely<Database>; version: number; kafka: ReturnType<typeof createKafka> }> {
  // Files (CA, client certificate, password file) are read before anything connects: a missing
  // one stops the boot with the variable's name.
  const resolved = resolveKafkaConnection(config);
  if (!resolved.ok) throw new ConfigError(resolved.errors);
  const connection = resolved.connection;
  const db: Kysely<Database> = createDb({
    connectionString: config.DATABASE_URL,
    applicationName: `projector-${definition.name}`,
    ...(config.DATABASE_CA_FILE === undefined ? {} : { caFile: config.DATABASE_CA_FILE }),
  });
  const version = await bootVersion(db, definition, config, logger, signal).catch(
    async (error: unknown) => {
      await db.destroy();
      const tls = databaseTlsFailure(error);
      throw tls ? new Error(tls, { cause: error }) : error;
    },
  );
  const clientId = `projector-${definition.name}`;
  try {
    // A refused password or an untrusted certificate: exit within seconds, naming the variable.
    await requireKafkaConnection({ clientId, brokers: config.KAFKA_BROKERS, connection });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const kafka = createKafka({ clientId, brokers: config.KAFKA_BROKERS, logger, connection });
  return { db, version, kafka };
}

/**
 * Migrates the control schema and picks the version to write (PROJECTION_VERSION, else the
 * live one, else 1, which then becomes live), creating its tables. A database that is down or
 * still starting at boot is waited for (with backoff, up to STARTUP_TIMEOUT_MS), like an
 * outage while running; anything else fails at once.
 */
async function bootVersion<S extends AggregateState>(
  db: Kysely<Database>,
  definition: ProjectorDefinition<S>,
  config: ProjectorServiceConfig,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<number> {
  return untilDatabaseReachable(
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
      else await refreshLiveViews(db, definition);
      return chosen;
    },
    { timeoutMs: config.STARTUP_TIMEOUT_MS, logger, signal },
  );
}

/** Creates the dead-letter topic when it is missing (retried while Kafka starts). */
async function ensureDeadLetterTopic(
  kafka: ReturnType<typeof createKafka>,
  config: ProjectorServiceConfig,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const spec = {
      topic: config.DEAD_LETTER_TOPIC,
      partitions: config.TOPIC_PARTITIONS,
      replicationFactor: config.TOPIC_REPLICATION_FACTOR,
    };
    await ensureTopics(admin, [spec], { logger, signal });
  } finally {
    await admin.disconnect();
  }
}

/** The /healthz body: the projector's health, plus a warning when the live logic differs. */
function serviceHealth(
  projectorName: string,
  version: number,
  projector: Projector,
  follower: LiveVersionFollower | undefined,
) {
  const health = projector.health();
  const following = follower?.state;
  return {
    ...health,
    healthy: health.healthy && health.running,
    projector: projectorName,
    version,
    ...(following?.status === 'logic-mismatch'
      ? {
          warning: 'LIVE_VERSION_LOGIC_MISMATCH',
          liveVersion: following.liveVersion,
          hint: 'the live version was built by other projection logic: deploy that release',
        }
      : {}),
  };
}

/** The options of the service's projector for version `v`, from the service configuration. */
function projectorOptions<S extends AggregateState>(
  definition: ProjectorDefinition<S>,
  config: ProjectorServiceConfig,
  parts: Pick<ProjectorOptions<S>, 'kafka' | 'db' | 'logger' | 'metrics'>,
  v: number,
): ProjectorOptions<S> {
  return {
    ...parts,
    definition,
    version: v,
    topic: config.EVENTS_TOPIC,
    deadLetterTopic: config.DEAD_LETTER_TOPIC,
    stallAfterMs: config.STALL_AFTER_MS,
    lockTimeoutMs: config.LOCK_TIMEOUT_MS,
    partitionsConcurrently: config.PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    maxBytesPerPartition: config.FETCH_MAX_BYTES_PER_PARTITION,
    offsetCommitIntervalMs: config.OFFSET_COMMIT_INTERVAL_MS,
  };
}

/**
 * Moves the service to version `next`: stops the current projector, starts one on `next`;
 * when that fails, starts the previous version again and rethrows (the follower retries).
 */
async function switchProjector(
  current: { version: number; projector: Projector },
  next: number,
  makeProjector: (v: number) => Projector,
): Promise<void> {
  const candidate = makeProjector(next);
  await current.projector.stop();
  try {
    await candidate.start();
    current.projector = candidate;
  } catch (error) {
    await candidate.stop().catch(() => undefined);
    current.projector = makeProjector(current.version);
    await current.projector.start();
    throw error;
  }
  current.version = next;
}
