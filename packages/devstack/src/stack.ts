import { join } from 'node:path';
import pg from 'pg';
import { DevstackError, isDevstackError } from './errors.js';
import { findFreePorts } from './free-port.js';
import { KafkaBroker } from './kafka-broker.js';
import { DEFAULT_KAFKA_VERSION, resolveKafkaJars } from './kafka-jars.js';
import { waitForKafka } from './kafka-readiness.js';
import { PostgresServer } from './postgres-server.js';

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
  /** The local broker, when one was started. */
  kafka: KafkaBroker | undefined;
  /** The local Postgres, when one was started. */
  postgres: PostgresServer | undefined;
  /** Stops what this stack started (gracefully, in parallel); external services are left alone. */
  stop(): Promise<void>;
}

/**
 * Starts a single-node Kafka (KRaft) and a Postgres in parallel, or uses the ones named by
 * `kafkaBrokers` / `databaseUrl` after checking they answer. On any failure, whatever was
 * already started is stopped before the error is rethrown: no process is left behind.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const log = options.log ?? ((line: string) => console.log(line));
  let kafka: KafkaBroker | undefined;
  let postgres: PostgresServer | undefined;
  let kafkaLibDir: string | undefined;

  // When one server fails, the other need not finish starting only to be stopped again.
  const abortKafka = new AbortController();
  const startKafka = async (): Promise<string[]> => {
    if (options.kafkaBrokers) {
      await assertKafkaReachable(options.kafkaBrokers);
      return options.kafkaBrokers;
    }
    const version = options.kafkaVersion ?? DEFAULT_KAFKA_VERSION;
    kafkaLibDir = await resolveKafkaJars({
      version,
      ...(options.kafkaCacheDir ? { cacheDir: options.kafkaCacheDir } : {}),
      log,
    });
    const [port, controllerPort] = await portsOrFree(
      options.kafkaPort,
      options.kafkaControllerPort,
    );
    kafka = new KafkaBroker({
      dataDir: join(options.dataDir, 'kafka'),
      port,
      controllerPort,
      libDir: kafkaLibDir,
      version,
      ...(options.kafkaHeap ? { heap: options.kafkaHeap } : {}),
    });
    await kafka.start({ signal: abortKafka.signal });
    return kafka.brokers;
  };

  const startPostgres = async (): Promise<string> => {
    if (options.databaseUrl) {
      await assertPostgresReachable(options.databaseUrl);
      return options.databaseUrl;
    }
    const [port] = await portsOrFree(options.postgresPort);
    postgres = new PostgresServer({ dataDir: join(options.dataDir, 'postgres'), port });
    await postgres.start();
    return postgres.url;
  };

  const stop = async () => {
    await Promise.all([kafka?.stop(), postgres?.stop()]);
  };

  const [kafkaResult, postgresResult] = await Promise.allSettled([
    startKafka(),
    startPostgres().catch((error: unknown) => {
      abortKafka.abort();
      throw error;
    }),
  ]);
  if (kafkaResult.status === 'rejected' || postgresResult.status === 'rejected') {
    await stop();
    const errors = [postgresResult, kafkaResult].flatMap((result) =>
      result.status === 'rejected' && result.reason !== abortKafka.signal.reason
        ? [result.reason as unknown]
        : [],
    );
    if (errors.length === 1) throw errors[0];
    throw new DevstackError(errors.map(messageOf).join('\n\n'), {
      cause: errors[0],
      hint: errors.map((error) => (isDevstackError(error) ? error.hint : '')).join(' '),
    });
  }
  return {
    kafkaBrokers: kafkaResult.value,
    databaseUrl: postgresResult.value,
    topic: options.topic ?? EVENTS_TOPIC,
    kafkaLibDir,
    kafka,
    postgres,
    stop,
  };
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
