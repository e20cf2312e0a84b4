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
  /**
   * PEM file of the CA that signs the server's certificate (DATABASE_CA_FILE). TLS and how far
   * the certificate is checked come from the URL's `sslmode` (`verify-full`: chain and host
   * name); without `sslmode`, a CA file turns TLS on with the full check.
   */
  caFile?: string;
}

/** A Kysely instance over a pg Pool. The caller owns it and calls `destroy()` at shutdown. */
export function createDb<DB = Database>(options: CreateDbOptions): Kysely<DB> {
  const pool = new pg.Pool({
    connectionString: withCaFile(options.connectionString, options.caFile),
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

/**
 * The URL with `sslrootcert` set to the CA file, unless the URL names one itself. pg reads the
 * TLS settings from the URL only (they override an `ssl` option), and `sslrootcert` is the
 * libpq parameter for exactly this.
 */
export function withCaFile(connectionString: string, caFile: string | undefined): string {
  if (caFile === undefined) return connectionString;
  const url = new URL(connectionString);
  if (url.searchParams.has('sslrootcert')) return connectionString;
  url.searchParams.set('sslrootcert', caFile);
  return url.toString();
}
