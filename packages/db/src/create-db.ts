import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';

/** Options for {@link createDb}. */
export interface CreateDbOptions {
  /** A libpq connection string, e.g. postgres://user:pass@host:5432/db. */
  connectionString: string;
  /** Pool size; default 10. */
  maxConnections?: number;
  /** Sent as application_name, so pg_stat_activity shows who is connected. */
  applicationName?: string;
}

/** A Kysely instance over a pg Pool. The caller owns it and calls `destroy()` at shutdown. */
export function createDb<DB = Database>(options: CreateDbOptions): Kysely<DB> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'novamed-stream',
  });
  // An idle client that loses its server (restart, failover) emits 'error'; without a
  // listener Node would crash the process. The next query gets a fresh connection.
  pool.on('error', () => {});
  // A client checked out between two statements (inside a transaction) that loses its server
  // emits 'error' on itself, not on the pool: the same crash. The transaction's next statement
  // fails instead, and the pool discards the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
