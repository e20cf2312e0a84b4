import { join } from 'node:path';
import pg from 'pg';
import { DevstackError, isDevstackError } from './errors.js';
import { findFreePorts } from './free-port.js';
import { KafkaBroker } from './kafka-broker.js';
import { KafkaCluster, type KafkaNodePorts } from './kafka-cluster.js';
import { DEFAULT_KAFKA_VERSION, resolveKafkaJars } from './kafka-jars.js';
import { waitForKafka } from './kafka-readiness.js';
import { PostgresServer } from './postgres-server.js';
import { type ReplicationSettings, replicationForBrokers } from './replication-for-brokers.js';

/**
 * The event topic. The contract (`@novamed-stream/events`) owns the name; the stack only needs
 * it to create the topic and does not depend on the contract package.
 */
export const EVENTS_TOPIC = 'novamed.events.v1';

/** Options for {@link startStack}. */
export interface StackOptions {
  /**
   * Root folder for the servers' data: Kafka in `<dataDir>/kafka`, Postgres in
   * `<dataDir>/postgres` (log beside it). As root it must be reachable by the `postgres` user.
   */
  dataDir: string;
  /** Use this Kafka cluster instead of starting a broker (from KAFKA_BROKERS). */
  kafkaBrokers?: string[] | undefined;
  /** Use this Postgres server instead of starting one (from DATABASE_URL). */
  databaseUrl?: string | undefined;
  /** Broker port; default: a free port chosen by the OS. */
  kafkaPort?: number;
  /** Controller port; default: a free port chosen by the OS. */
  kafkaControllerPort?: number;
  /**
   * Local Kafka nodes (each broker and controller). Default 1. With more, node `n` (1-based) uses
   * `kafkaPort + 100 * (n - 1)` and `kafkaControllerPort + 100 * (n - 1)` when those are given
   * (free ports otherwise), and data in `<dataDir>/kafka-cluster/node-<n>`.
   */
  kafkaBrokerCount?: number;
  /**
   * Replication of the topics the stack's users create, reported in
   * {@link RunningStack.topicReplication}. Default: {@link replicationForBrokers} of
   * `kafkaBrokerCount` (with `kafkaBrokers`, of 1: the cluster's size is unknown).
   */
  topicReplication?: ReplicationSettings;
  /** Postgres port; default: a free port chosen by the OS. */
  postgresPort?: number;
  /** Kafka version to run. Default 4.1.1. */
  kafkaVersion?: string;
  /** Jar cache folder, see {@link resolveKafkaJars}. */
  kafkaCacheDir?: string;
  /** JVM heap of the broker. Default 256m / 1g. */
  kafkaHeap?: { initial: string; max: string };
  /** Event topic name reported in {@link RunningStack.topic}. Default `novamed.events.v1`. */
  topic?: string;
  /** Progress messages (default: `console.log`). */
  log?: (line: string) => void;
}

/** A started (or attached) stack. */
export interface RunningStack {
  /** Bootstrap servers (the local broker's, or KAFKA_BROKERS). */
  kafkaBrokers: string[];
  /** Superuser connection string of the `postgres` database (local, or DATABASE_URL). */
  databaseUrl: string;
  /** The event topic name. */
  topic: string;
  /** The folder with the jars when a local broker runs. */
  kafkaLibDir: string | undefined;
  /** The local broker, when one was started (with several nodes: node 1). */
  kafka: KafkaBroker | undefined;
  /** Every local Kafka node (one, or the cluster's); empty with KAFKA_BROKERS. */
  kafkaNodes: KafkaBroker[];
  /** The local cluster, when more than one node was started. */
  kafkaCluster: KafkaCluster | undefined;
  /** Replication factor and min ISR to create topics with. */
  topicReplication: ReplicationSettings;
  /** The local Postgres, when one was started. */
  postgres: PostgresServer | undefined;
  /** Stops what this stack started (gracefully, in parallel); external services are left alone. */
  stop(): Promise<void>;
}

/** The local servers {@link startStack} started, filled in as each one comes up. */
interface LocalServers {
  kafka?: KafkaBroker;
  kafkaCluster?: KafkaCluster;
  kafkaLibDir?: string;
  postgres?: PostgresServer;
}

/**
 * Starts a Kafka (KRaft; one node, or `kafkaBrokerCount` nodes as one cluster) and a Postgres in
 * parallel, or uses the ones named by `kafkaBrokers` / `databaseUrl` after checking they answer.
 * On any failure, whatever was already started is stopped before the error is rethrown: no
 * process is left behind.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const servers: LocalServers = {};
  const stop = async () => {
    await Promise.all([
      servers.kafka?.stop(),
      servers.kafkaCluster?.stop(),
      servers.postgres?.stop(),
    ]);
  };
  // When one server fails, the other need not finish starting only to be stopped again.
  const abortKafka = new AbortController();
  const [kafkaResult, postgresResult] = await Promise.allSettled([
    startKafka(options, servers, log, abortKafka.signal),
    startPostgres(options, servers).catch((error: unknown) => {
      abortKafka.abort();
      throw error;
    }),
  ]);
  if (kafkaResult.status === 'rejected' || postgresResult.status === 'rejected') {
    await stop();
    throw startFailure([postgresResult, kafkaResult], abortKafka.signal.reason);
  }
  const { kafka, kafkaCluster, postgres } = servers;
  return {
    kafkaBrokers: kafkaResult.value,
    databaseUrl: postgresResult.value,
    topic: options.topic ?? EVENTS_TOPIC,
    kafkaLibDir: servers.kafkaLibDir,
    kafka: kafka ?? kafkaCluster?.nodes[0],
    kafkaNodes: kafkaCluster ? [...kafkaCluster.nodes] : kafka ? [kafka] : [],
    kafkaCluster,
    topicReplication:
      options.topicReplication ??
      replicationForBrokers(options.kafkaBrokers ? 1 : (options.kafkaBrokerCount ?? 1)),
    postgres,
    stop,
  };
}

/** Checks `kafkaBrokers`, or starts the local node(s); resolves with the bootstrap servers. */
async function startKafka(
  options: StackOptions,
  servers: LocalServers,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<string[]> {
  if (options.kafkaBrokers) {
    await assertKafkaReachable(options.kafkaBrokers);
    return options.kafkaBrokers;
  }
  const version = options.kafkaVersion ?? DEFAULT_KAFKA_VERSION;
  const libDir = await resolveKafkaJars({
    version,
    ...(options.kafkaCacheDir ? { cacheDir: options.kafkaCacheDir } : {}),
    log,
  });
  servers.kafkaLibDir = libDir;
  const common = { libDir, version, ...(options.kafkaHeap ? { heap: options.kafkaHeap } : {}) };
  const brokerCount = options.kafkaBrokerCount ?? 1;
  if (brokerCount > 1) {
    const cluster = new KafkaCluster({
      dataDir: join(options.dataDir, 'kafka-cluster'),
      nodes: await clusterNodePorts(options, brokerCount),
      ...common,
    });
    servers.kafkaCluster = cluster;
    await cluster.start({ signal });
    return cluster.brokers;
  }
  const [port, controllerPort] = await portsOrFree(options.kafkaPort, options.kafkaControllerPort);
  const broker = new KafkaBroker({
    dataDir: join(options.dataDir, 'kafka'),
    port,
    controllerPort,
    ...common,
  });
  servers.kafka = broker;
  await broker.start({ signal });
  return broker.brokers;
}

/** Node `n`'s ports: the wanted ones + 100 * (n - 1), or free ones where none are wanted. */
function clusterNodePorts(options: StackOptions, count: number): Promise<KafkaNodePorts[]> {
  const shifted = (port: number | undefined, offset: number) =>
    port === undefined ? undefined : port + offset;
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const [port, controllerPort] = await portsOrFree(
        shifted(options.kafkaPort, 100 * index),
        shifted(options.kafkaControllerPort, 100 * index),
      );
      return { port, controllerPort };
    }),
  );
}

/** Checks `databaseUrl`, or starts the local Postgres; resolves with its connection string. */
async function startPostgres(options: StackOptions, servers: LocalServers): Promise<string> {
  if (options.databaseUrl) {
    await assertPostgresReachable(options.databaseUrl);
    return options.databaseUrl;
  }
  const [port] = await portsOrFree(options.postgresPort);
  const postgres = new PostgresServer({ dataDir: join(options.dataDir, 'postgres'), port });
  servers.postgres = postgres;
  await postgres.start();
  return postgres.url;
}

/**
 * One error for the servers that failed: the only one as it is, several joined into one
 * {@link DevstackError}. A Kafka start aborted because Postgres failed is not a failure of its own.
 */
function startFailure(results: PromiseSettledResult<unknown>[], abortReason: unknown): unknown {
  const errors = results.flatMap((result) =>
    result.status === 'rejected' && result.reason !== abortReason ? [result.reason as unknown] : [],
  );
  if (errors.length === 1) return errors[0];
  return new DevstackError(errors.map(messageOf).join('\n\n'), {
    cause: errors[0],
    hint: errors.map((error) => (isDevstackError(error) ? error.hint : '')).join(' '),
  });
}

/** The wanted ports, with free ones from the OS in place of the missing ones. */
async function portsOrFree<const T extends readonly (number | undefined)[]>(
  ...wanted: T
): Promise<{ [K in keyof T]: number }> {
  const free = await findFreePorts(wanted.filter((port) => port === undefined).length);
  return wanted.map((port) => port ?? free.shift()) as { [K in keyof T]: number };
}

async function assertKafkaReachable(brokers: string[]): Promise<void> {
  const readiness = await waitForKafka(brokers, { timeoutMs: 15_000, coordinators: false });
  if (readiness.ok) return;
  throw new DevstackError(
    `KAFKA_BROKERS=${brokers.join(',')} does not answer: ${readiness.reason}.`,
    {
      hint:
        'Check that the cluster runs and is reachable, or unset KAFKA_BROKERS to start a ' +
        'local broker.',
    },
  );
}

async function assertPostgresReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const safeUrl = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
    throw new DevstackError(`DATABASE_URL=${safeUrl} does not answer: ${messageOf(error)}.`, {
      cause: error,
      hint:
        'Check that the server runs and the credentials are right, or unset DATABASE_URL to ' +
        'start a local Postgres.',
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
