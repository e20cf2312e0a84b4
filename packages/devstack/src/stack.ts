import { join } from 'node:path';
import type { KafkaConnection } from '@novamed-stream/service-kit';
import pg from 'pg';
import { DevstackError, isDevstackError } from './errors.js';
import { findFreePorts } from './free-port.js';
import { KafkaBroker } from './kafka-broker.js';
import { KafkaCluster, type KafkaNodePorts } from './kafka-cluster.js';
import { DEFAULT_KAFKA_VERSION, resolveKafkaJars } from './kafka-jars.js';
import { waitForKafka } from './kafka-readiness.js';
import type { KafkaSaslSslListener } from './kafka-sasl-ssl-properties.js';
import { PostgresServer } from './postgres-server.js';
import { type ReplicationSettings, replicationForBrokers } from './replication-for-brokers.js';
import {
  type PreparedSaslSsl,
  prepareSaslSsl,
  type StackSecurity,
  type StackSecurityKind,
  stackKafkaConnection,
} from './stack-security.js';

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
  /**
   * `sasl_ssl`: Kafka serves clients on a SASL_SSL listener (SCRAM-SHA-512) on `kafkaPort` (its
   * plain listener, for the nodes and the stack's own readiness checks, moves to a free port),
   * Postgres takes TLS connections only, certificates are generated for this start, and all
   * data lives in `<dataDir>/sasl-ssl` (apart from a plain-text stack's). Not with
   * `kafkaBrokers` / `databaseUrl`. Default `plaintext`.
   */
  security?: StackSecurityKind;
}

/** A started (or attached) stack. */
export interface RunningStack {
  /** Bootstrap servers (the local broker's, or KAFKA_BROKERS). */
  kafkaBrokers: string[];
  /**
   * Superuser connection string of the `postgres` database (local, or DATABASE_URL); with
   * `sasl_ssl`, with `sslmode=verify-full` and `sslrootcert` (psql and pg both read them).
   */
  databaseUrl: string;
  /** How clients connect; `stackClientEnv` turns it into the services' variables. */
  security: StackSecurity;
  /** The kit's connection for an in-process Kafka client (undefined in plain text). */
  kafkaConnection: KafkaConnection | undefined;
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
  if (options.security === 'sasl_ssl' && (options.kafkaBrokers || options.databaseUrl)) {
    throw new DevstackError('A sasl_ssl stack secures its own Kafka and Postgres only.', {
      hint: 'Unset KAFKA_BROKERS and DATABASE_URL, or DEVSTACK_SECURITY.',
    });
  }
  const secured =
    options.security === 'sasl_ssl'
      ? await prepareSaslSsl(join(options.dataDir, 'sasl-ssl'))
      : undefined;
  // Apart from a plain-text stack's data: the read models' checkpoints belong to one Kafka.
  const local = { ...options, dataDir: join(options.dataDir, secured ? 'sasl-ssl' : '') };
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
    startKafka(local, servers, log, abortKafka.signal, secured),
    startPostgres(local, servers, secured).catch((error: unknown) => {
      abortKafka.abort();
      throw error;
    }),
  ]);
  if (kafkaResult.status === 'rejected' || postgresResult.status === 'rejected') {
    await stop();
    throw startFailure([postgresResult, kafkaResult], abortKafka.signal.reason);
  }
  const { kafka, kafkaCluster, postgres } = servers;
  const security = secured?.security ?? { kind: 'plaintext' };
  return {
    kafkaBrokers: kafkaResult.value,
    databaseUrl: postgresResult.value,
    security,
    kafkaConnection: await stackKafkaConnection(security),
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
  secured: PreparedSaslSsl | undefined,
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
  const listener = secured ? saslSslListener(secured) : undefined;
  const common = {
    libDir,
    version,
    ...(options.kafkaHeap ? { heap: options.kafkaHeap } : {}),
  };
  const brokerCount = options.kafkaBrokerCount ?? 1;
  if (brokerCount > 1) {
    const cluster = new KafkaCluster({
      dataDir: join(options.dataDir, 'kafka-cluster'),
      nodes: await clusterNodePorts(options, brokerCount, listener !== undefined),
      ...common,
      ...(listener ? { saslSsl: listener } : {}),
    });
    servers.kafkaCluster = cluster;
    await cluster.start({ signal });
    return listener ? cluster.saslSslBrokers : cluster.brokers;
  }
  const [node] = await clusterNodePorts(options, 1, listener !== undefined);
  if (!node) throw new Error('no ports for the Kafka node');
  const broker = new KafkaBroker({
    dataDir: join(options.dataDir, 'kafka'),
    port: node.port,
    controllerPort: node.controllerPort,
    ...common,
    ...(listener && node.saslSslPort ? { saslSsl: { ...listener, port: node.saslSslPort } } : {}),
  });
  servers.kafka = broker;
  await broker.start({ signal });
  return listener ? broker.saslSslBrokers : broker.brokers;
}

/** The SASL_SSL listener of a secured stack (its port is set per node). */
function saslSslListener(secured: PreparedSaslSsl): Omit<KafkaSaslSslListener, 'port'> {
  return {
    keyAndCertFile: secured.certificates.serverKeyAndCertFile,
    trustedCaFile: secured.certificates.caFile,
    users: [{ name: secured.security.sasl.username, password: secured.password }],
  };
}

/**
 * Node `n`'s ports: the wanted ones + 100 * (n - 1), or free ones where none are wanted. With a
 * SASL_SSL listener, the client port (`kafkaPort`) is that listener's, and the plain one, used
 * only by the nodes and the stack's own checks, takes a free port.
 */
function clusterNodePorts(
  options: StackOptions,
  count: number,
  saslSsl: boolean,
): Promise<KafkaNodePorts[]> {
  const shifted = (port: number | undefined, offset: number) =>
    port === undefined ? undefined : port + offset;
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const [clientPort, controllerPort, internalPort] = await portsOrFree(
        shifted(options.kafkaPort, 100 * index),
        shifted(options.kafkaControllerPort, 100 * index),
        undefined,
      );
      return saslSsl
        ? { port: internalPort, controllerPort, saslSslPort: clientPort }
        : { port: clientPort, controllerPort };
    }),
  );
}

/** Checks `databaseUrl`, or starts the local Postgres; resolves with its connection string. */
async function startPostgres(
  options: StackOptions,
  servers: LocalServers,
  secured: PreparedSaslSsl | undefined,
): Promise<string> {
  if (options.databaseUrl) {
    await assertPostgresReachable(options.databaseUrl);
    return options.databaseUrl;
  }
  const [port] = await portsOrFree(options.postgresPort);
  const certificates = secured?.certificates;
  const postgres = new PostgresServer({
    dataDir: join(options.dataDir, 'postgres'),
    port,
    ...(certificates
      ? {
          tls: {
            certFile: certificates.serverCertFile,
            keyFile: certificates.serverKeyFile,
            required: { caFile: certificates.caFile },
          },
        }
      : {}),
  });
  servers.postgres = postgres;
  await postgres.start();
  if (!certificates) return postgres.url;
  // libpq's (psql's) and pg's own parameters: TLS with the chain and host name checked.
  const caFile = encodeURIComponent(certificates.caFile).replaceAll('%2F', '/');
  return `${postgres.url}?sslmode=verify-full&sslrootcert=${caFile}`;
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
