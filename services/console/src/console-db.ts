import { type Database, withCaFile } from '@novamed-stream/db';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

/** Options of {@link createConsoleDb}. */
export interface ConsoleDbOptions {
  connectionString: string;
  /** The read-only role every connection takes (`console_reader`, made by a migration). */
  role: string;
  maxConnections?: number;
  /** DATABASE_CA_FILE (see the db package's `createDb`). */
  caFile?: string;
}

/**
 * A Kysely instance whose every connection runs as `role` (set at connection start, so no
 * statement ever runs with the login's own rights), named `novamed-console` in
 * pg_stat_activity and in the PHI audit trail.
 */
export function createConsoleDb(options: ConsoleDbOptions): Kysely<Database> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.role)) throw new Error('invalid role name');
  const pool = new pg.Pool({
    connectionString: withCaFile(options.connectionString, options.caFile),
    max: options.maxConnections ?? 4,
    application_name: 'novamed-console',
    options: `-c role=${options.role}`,
    statement_timeout: 15_000,
  });
  // An idle client that loses its server emits 'error'; the next query reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
