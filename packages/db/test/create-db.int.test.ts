import type { PostgresServer } from '@novamed-stream/devstack';
import { startDedicatedPostgres } from '@novamed-stream/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb } from '../src/index.js';

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startDedicatedPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

it('survives the server dying under a transaction and an idle connection, then works again', async () => {
  const db = createDb({ connectionString: postgres.url, maxConnections: 4 });
  try {
    // One idle pooled connection, and one held by a transaction between two statements.
    await sql`select 1`.execute(db);
    const transaction = db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      await postgres.kill();
      // The server's FATAL message reaches the held client now: without a listener on it,
      // Node would throw an unhandled 'error' event and the process would die.
      await new Promise((r) => setTimeout(r, 500));
      await sql`select 2`.execute(trx);
    });
    await expect(transaction).rejects.toThrow();
    await postgres.start();
    const row = await sql<{ n: number }>`select 41 + 1 as n`.execute(db);
    expect(row.rows[0]?.n).toBe(42);
  } finally {
    await db.destroy();
  }
});
