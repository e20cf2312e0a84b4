import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import { isDevstackError, readStackFile, type StackFile } from '@novamed-stream/devstack';
import { EVENTS_TOPIC } from '@novamed-stream/events';
import {
  classifyKafkaConnectionError,
  createKafka,
  DatabaseConnectionEnv,
  databaseTlsFailure,
  isSettingFailure,
  type KafkaConnection,
  KafkaConnectionEnv,
  readEnv,
  resolveKafkaConnection,
} from '@novamed-stream/service-kit';
import { Type } from '@sinclair/typebox';
import type { Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import { CliError, usageError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { type OptionValues, stringOption } from './command.js';

/** Where a setting came from, for error messages. */
export type SettingSource = 'flag' | 'environment' | 'stack.json';

const SOURCE_TEXT: Record<SettingSource, string> = {
  flag: 'from the command line',
  environment: 'from the environment',
  'stack.json': 'from .novamed-stream/stack.json',
};

/** The client id the CLI's Kafka clients use (visible in consumer group descriptions). */
export const CLI_CLIENT_ID = 'novamed-stream-cli';

async function stackFile(io: CliIo): Promise<StackFile | undefined> {
  try {
    return await readStackFile(io.stackFile);
  } catch (error) {
    throw new CliError(
      'BAD_STACK_FILE',
      `Cannot read the stack file: ${(error as Error).message}`,
      {
        hint: isDevstackError(error)
          ? error.hint
          : 'Delete .novamed-stream/stack.json (a stale file) or pass the settings as flags.',
      },
    );
  }
}

/** Kafka brokers: `--brokers`, else KAFKA_BROKERS, else the running local stack's stack.json. */
export async function resolveBrokers(
  values: OptionValues,
  io: CliIo,
): Promise<{ brokers: string[]; source: SettingSource }> {
  const flag = stringOption(values, 'brokers');
  const env = io.env['KAFKA_BROKERS']?.trim();
  const [raw, source]: [string | undefined, SettingSource] = flag
    ? [flag, 'flag']
    : env
      ? [env, 'environment']
      : [undefined, 'stack.json'];
  if (raw === undefined) {
    const stack = await stackFile(io);
    if (stack) return { brokers: stack.kafkaBrokers, source };
    throw new CliError('NO_BROKERS', 'No Kafka brokers configured.', {
      hint: 'Pass --brokers host:port, set KAFKA_BROKERS, or start the local stack with `npm start` (it writes .novamed-stream/stack.json).',
    });
  }
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const bad = brokers.filter((b) => !/^[^\s:/]+:\d{1,5}$/.test(b));
  if (brokers.length === 0 || bad.length > 0) {
    throw usageError(
      `Kafka brokers ${SOURCE_TEXT[source]} must be host:port[,host:port...] (got ${JSON.stringify(raw)}).`,
      'For example --brokers 127.0.0.1:9092.',
    );
  }
  return { brokers, source };
}

/** Postgres URL: `--database-url`, else DATABASE_URL, else the running local stack's stack.json. */
export async function resolveDatabaseUrl(
  values: OptionValues,
  io: CliIo,
): Promise<{ url: string; source: SettingSource }> {
  const flag = stringOption(values, 'database-url');
  const env = io.env['DATABASE_URL']?.trim();
  const [raw, source]: [string | undefined, SettingSource] = flag
    ? [flag, 'flag']
    : env
      ? [env, 'environment']
      : [undefined, 'stack.json'];
  if (raw === undefined) {
    const stack = await stackFile(io);
    if (stack) return { url: stack.databaseUrl, source };
    throw new CliError('NO_DATABASE', 'No Postgres database configured.', {
      hint: 'Pass --database-url postgres://user:pass@host:port/db, set DATABASE_URL, or start the local stack with `npm start`.',
    });
  }
  let protocol = '';
  try {
    protocol = new URL(raw).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    // Never echo the value: it may hold a password.
    throw usageError(
      `The database URL ${SOURCE_TEXT[source]} is not a postgres:// URL.`,
      'For example --database-url postgres://user:pass@127.0.0.1:5432/postgres.',
    );
  }
  return { url: raw, source };
}

/** The events topic: `--topic`, else `novamed.events.v1`. */
export function resolveTopic(values: OptionValues): string {
  return stringOption(values, 'topic')?.trim() || EVENTS_TOPIC;
}

const SECURED_HINT = 'See "Secured connections" in README.md for the variables.';
const ConnectionSchema = Type.Object({ ...KafkaConnectionEnv, ...DatabaseConnectionEnv });

/**
 * The secured-connection variables (the same as the services': KAFKA_SSL_*, KAFKA_SASL_*,
 * DATABASE_CA_FILE) from the CLI's environment, with the files read. Throws a usage error
 * naming each bad variable.
 */
export function resolveConnectionSettings(io: CliIo): {
  kafka: KafkaConnection;
  databaseCaFile: string | undefined;
} {
  const read = readEnv(ConnectionSchema, io.env);
  const resolved = read.ok ? resolveKafkaConnection(read.env) : read;
  if (!read.ok || !resolved.ok) {
    const errors = resolved.ok ? [] : resolved.errors;
    throw usageError(`Invalid connection settings:\n  ${errors.join('\n  ')}`, SECURED_HINT);
  }
  return { kafka: resolved.connection, databaseCaFile: read.env.DATABASE_CA_FILE };
}

/** A quiet kafkajs client for the CLI, failing fast when the brokers cannot be reached. */
export function cliKafka(brokers: string[], connection?: KafkaConnection): Kafka {
  return createKafka({
    clientId: CLI_CLIENT_ID,
    brokers,
    connectionTimeoutMs: 3000,
    authenticationTimeoutMs: 5000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    ...(connection ? { connection } : {}),
  });
}

/** A Kafka client and the admin connection; `close()` disconnects. */
export interface KafkaSession {
  kafka: Kafka;
  admin: ReturnType<Kafka['admin']>;
  brokers: string[];
  close(): Promise<void>;
}

/** Resolves the brokers and connects an admin client; a connection failure says what to do. */
export async function connectKafka(values: OptionValues, io: CliIo): Promise<KafkaSession> {
  const { brokers, source } = await resolveBrokers(values, io);
  const connection = resolveConnectionSettings(io).kafka;
  const kafka = cliKafka(brokers, connection);
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    const failure = classifyKafkaConnectionError(error, connection, brokers);
    if (isSettingFailure(failure)) {
      throw new CliError('KAFKA_REFUSED', `Cannot connect to Kafka: ${failure.message}.`, {
        hint: SECURED_HINT,
        cause: error,
      });
    }
    throw new CliError(
      'KAFKA_UNREACHABLE',
      `Cannot reach Kafka at ${brokers.join(',')} (${SOURCE_TEXT[source]}): ${(error as Error).message}`,
      {
        hint:
          source === 'stack.json'
            ? 'Is the local stack running? Start it with `npm start`, or pass --brokers.'
            : 'Check the brokers and that Kafka is running.',
      },
    );
  }
  return { kafka, admin, brokers, close: () => admin.disconnect().catch(() => undefined) };
}

/** A database session; `close()` ends the pool. */
export interface DatabaseSession {
  db: Kysely<Database>;
  close(): Promise<void>;
}

/**
 * Resolves the database URL, checks it answers, and applies pending migrations (the same
 * ones the services apply at boot; idempotent, concurrency-safe).
 */
export async function connectDatabase(values: OptionValues, io: CliIo): Promise<DatabaseSession> {
  const { url, source } = await resolveDatabaseUrl(values, io);
  const caFile = resolveConnectionSettings(io).databaseCaFile;
  const db = createDb({
    connectionString: url,
    maxConnections: 6,
    applicationName: CLI_CLIENT_ID,
    ...(caFile === undefined ? {} : { caFile }),
  });
  const close = () => db.destroy().catch(() => undefined);
  try {
    const migrated = await migrateToLatest(db);
    if (!migrated.ok) throw migrated.error;
  } catch (error) {
    await close();
    const host = (() => {
      try {
        const u = new URL(url);
        return `${u.hostname}:${u.port || 5432}${u.pathname}`;
      } catch {
        return 'the database';
      }
    })();
    const code = (error as { code?: string }).code;
    const tls = databaseTlsFailure(error);
    if (tls) {
      throw new CliError('DATABASE_REFUSED', `Cannot use Postgres at ${host}: ${tls}.`, {
        hint: SECURED_HINT,
        cause: error,
      });
    }
    throw new CliError(
      'DATABASE_UNREACHABLE',
      `Cannot use Postgres at ${host} (${SOURCE_TEXT[source]}): ${(error as Error).message}`,
      {
        hint:
          code === '28P01'
            ? 'Check the user and password in the URL.'
            : code === '3D000'
              ? 'The database does not exist: check the name in the URL.'
              : source === 'stack.json'
                ? 'Is the local stack running? Start it with `npm start`, or pass --database-url.'
                : 'Check the URL and that Postgres is running and reachable.',
      },
    );
  }
  return { db, close };
}
