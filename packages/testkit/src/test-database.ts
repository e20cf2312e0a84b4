import pg from 'pg';
import { testStack } from './test-stack.js';
import { uniqueName } from './unique-name.js';

/** A database of one's own on the shared Postgres. */
export interface TestDatabase {
  /** The database name. */
  name: string;
  /** Superuser connection string of this database. */
  url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/**
 * Creates a database with a unique name on the shared Postgres (milliseconds, unlike a server).
 * Call `drop()` when done; the shared server and its data are discarded at the end of the run
 * anyway, but not an external DATABASE_URL's.
 */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const { databaseUrl } = testStack();
  const name = uniqueName(prefix);
  await withAdminClient(databaseUrl, (client) =>
    client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`),
  );
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withAdminClient(databaseUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

async function withAdminClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
