import { randomBytes } from 'node:crypto';
import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import {
  ensureTopic,
  type KafkaBroker,
  type KafkaCluster,
  type PostgresServer,
} from '@novamed-stream/devstack';
import { EVENTS_TOPIC, QUARANTINE_TOPIC } from '@novamed-stream/events';
import {
  createTestDatabase,
  startDedicatedBroker,
  startDedicatedCluster,
  startDedicatedPostgres,
  testStack,
  uniqueName,
} from '@novamed-stream/testkit';
import { Kafka, logLevel } from 'kafkajs';
import type { Kysely } from 'kysely';
import { CanaryFeed } from './canary.js';
import { type SweepReport, sweepLogs } from './log-sweep.js';
import {
  type IngressProcessOptions,
  type ProjectorProcessOptions,
  projectorProcess,
  type ServiceProcess,
  startIngressProcess,
} from './processes.js';
import { scenarioLogFolder } from './run-folder.js';
import { serverLogs } from './server-logs.js';
import { recordSweep } from './sweep-record.js';
import { PROJECTOR_NAMES } from './verify.js';

/** Options of {@link scenarioEnvironment}. */
export interface EnvironmentOptions {
  /** Scenario id, names its log folder, topics and database. */
  name: string;
  /** A broker of the scenario's own (to kill and restart), else the shared one. */
  dedicatedBroker?: boolean;
  /**
   * A three-node cluster of the scenario's own (to kill nodes); its topics get replication
   * factor 3 and min ISR 2.
   */
  dedicatedCluster?: boolean;
  /** A Postgres of the scenario's own (to restart), else a database on the shared one. */
  dedicatedPostgres?: boolean;
  /** Partitions of the events topic. Default 6. */
  partitions?: number;
  seed?: number;
}

/**
 * Everything a scenario runs against: a real broker and Postgres (its own when it kills them),
 * its topics and database (migrated), canary events, and the processes it starts, all logging
 * into the scenario's folder. `close()` stops what it started; `sweep()` reads every log.
 */
export interface ScenarioEnvironment {
  readonly name: string;
  readonly logDir: string;
  readonly brokers: string[];
  readonly broker: KafkaBroker | undefined;
  readonly cluster: KafkaCluster | undefined;
  readonly postgres: PostgresServer | undefined;
  readonly databaseUrl: string;
  readonly db: Kysely<Database>;
  readonly kafka: Kafka;
  readonly topic: string;
  readonly quarantineTopic: string;
  readonly apiKey: string;
  readonly feed: CanaryFeed;
  ingress(options?: Partial<IngressProcessOptions>): ReturnType<typeof startIngressProcess>;
  projector(
    projector: ProjectorProcessOptions['projector'],
    options?: Partial<ProjectorProcessOptions>,
  ): ReturnType<typeof projectorProcess>;
  /** Starts one service process per projector, at once, and waits until each answers /healthz. */
  startProjectors(
    names?: readonly ProjectorProcessOptions['projector'][],
    options?: Partial<ProjectorProcessOptions>,
  ): Promise<Array<ServiceProcess & { healthUrl: string }>>;
  /** Sweeps every log of this scenario (its processes, brokers, Postgres) for PHI and keys. */
  sweep(extraSecrets?: ReadonlyArray<{ label: string; value: string }>): SweepReport;
  close(): Promise<void>;
}

/** What a scenario's servers are: its own broker, cluster or Postgres, or the shared ones. */
interface Infrastructure {
  broker: KafkaBroker | undefined;
  cluster: KafkaCluster | undefined;
  brokers: string[];
  postgres: PostgresServer | undefined;
  databaseUrl: string;
  db: Kysely<Database>;
}

type Cleanups = Array<() => Promise<unknown>>;

/** Starts what the scenario owns (broker, cluster, Postgres) and its migrated database. */
async function startInfrastructure(
  options: EnvironmentOptions,
  cleanups: Cleanups,
): Promise<Infrastructure> {
  const broker = options.dedicatedBroker ? await startDedicatedBroker() : undefined;
  if (broker) cleanups.unshift(() => broker.stop());
  const cluster = options.dedicatedCluster ? await startDedicatedCluster(3) : undefined;
  if (cluster) cleanups.unshift(() => cluster.stop());
  const brokers = broker?.brokers ?? cluster?.brokers ?? testStack().kafkaBrokers;
  const postgres = options.dedicatedPostgres ? await startDedicatedPostgres() : undefined;
  if (postgres) cleanups.unshift(() => postgres.stop());
  let databaseUrl: string;
  if (postgres) databaseUrl = postgres.url;
  else {
    const database = await createTestDatabase(`rel_${options.name.replace(/\W/g, '_')}`);
    cleanups.unshift(() => database.drop());
    databaseUrl = database.url;
  }
  const db = createDb({ connectionString: databaseUrl });
  cleanups.unshift(() => db.destroy());
  await migrateToLatest(db);
  return { broker, cluster, brokers, postgres, databaseUrl, db };
}

/** The scenario's events and quarantine topics, with the cluster's replication when on one. */
async function createTopics(
  options: EnvironmentOptions,
  infra: Infrastructure,
): Promise<{ topic: string; quarantineTopic: string }> {
  const topic = uniqueName(`${EVENTS_TOPIC}.rel-${options.name}`);
  const quarantineTopic = uniqueName(`${QUARANTINE_TOPIC}.rel-${options.name}`);
  const { cluster } = infra;
  for (const t of [topic, quarantineTopic]) {
    await ensureTopic({
      brokers: infra.brokers,
      topic: t,
      partitions: options.partitions ?? 6,
      ...(cluster
        ? {
            replicationFactor: cluster.replicationFactor,
            minInsyncReplicas: cluster.minInsyncReplicas,
          }
        : {}),
    });
  }
  return { topic, quarantineTopic };
}

export async function scenarioEnvironment(
  options: EnvironmentOptions,
): Promise<ScenarioEnvironment> {
  const logDir = scenarioLogFolder(options.name);
  const cleanups: Cleanups = [];
  const processes: ServiceProcess[] = [];
  try {
    const infra = await startInfrastructure(options, cleanups);
    const { topic, quarantineTopic } = await createTopics(options, infra);
    const base = {
      name: options.name,
      logDir,
      ...infra,
      kafka: new Kafka({
        clientId: `reliability-${options.name}`,
        brokers: infra.brokers,
        logLevel: logLevel.NOTHING,
      }),
      topic,
      quarantineTopic,
      apiKey: `relkey-${randomBytes(18).toString('base64url')}`,
      feed: new CanaryFeed({ seed: options.seed ?? 7 }),
    };
    const env: ScenarioEnvironment = {
      ...base,
      ...serviceStarters(base, processes),
      startProjectors: (names = PROJECTOR_NAMES, overrides = {}) =>
        Promise.all(
          names.map(async (name) => {
            const service = await env.projector(name, overrides);
            await service.start();
            return service;
          }),
        ),
      sweep: (extraSecrets = []) => {
        const secrets = [
          { label: 'canary patient data', value: base.feed.marker },
          { label: 'the webhook API key', value: base.apiKey },
          ...extraSecrets,
        ];
        const report = sweepLogs([logDir, ...serverLogs(testStack().dataRoot)], secrets);
        // For the final sweep of every process log (scenario 8, in the global teardown).
        recordSweep(options.name, secrets, report, base.feed.canaries.length);
        return report;
      },
      close: async () => {
        for (const p of processes) await p.stop(10_000);
        for (const cleanup of cleanups) await cleanup().catch(() => undefined);
      },
    };
    return env;
  } catch (error) {
    for (const p of processes) await p.stop(10_000).catch(() => undefined);
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    throw error;
  }
}

/** Starting the scenario's ingress and projector processes, logging into its folder. */
function serviceStarters(
  base: Infrastructure & { logDir: string; topic: string; quarantineTopic: string; apiKey: string },
  processes: ServiceProcess[],
): Pick<ScenarioEnvironment, 'ingress' | 'projector'> {
  const { brokers, logDir, topic } = base;
  // The services create their own topics (the projectors the dead-letter topic): on a cluster,
  // with its replication factor, or an RF 1 partition on a stopped node has no leader and
  // stalls clients' metadata requests.
  const replicationEnv: Record<string, string> = base.cluster
    ? { TOPIC_REPLICATION_FACTOR: String(base.cluster.replicationFactor) }
    : {};
  return {
    ingress: async (overrides = {}) => {
      const ingress = await startIngressProcess({
        brokers,
        apiKeys: [base.apiKey],
        eventsTopic: topic,
        quarantineTopic: base.quarantineTopic,
        logDir,
        ...overrides,
        env: { ...replicationEnv, ...overrides.env },
      });
      processes.push(ingress.process);
      return ingress;
    },
    projector: async (projector, overrides = {}) => {
      const service = await projectorProcess({
        projector,
        brokers,
        databaseUrl: base.databaseUrl,
        topic,
        logDir,
        ...overrides,
        env: { ...replicationEnv, ...overrides.env },
      });
      processes.push(service);
      return service;
    },
  };
}
