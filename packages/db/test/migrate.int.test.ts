import { createTestDatabase } from '@novamed-stream/testkit';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database, MIGRATIONS, migrateDown, migrateToLatest } from '../src/index.js';

describe('migrations against a real Postgres', () => {
  let db: Kysely<Database>;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase('db_migrate');
    drop = database.drop;
    db = createDb({ connectionString: database.url });
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  const tables = async () =>
    (
      await sql<{ table_name: string }>`select table_name from information_schema.tables
        where table_schema = 'novamed' order by table_name`.execute(db)
    ).rows.map((r) => r.table_name);

  it('applies every migration, then is a no-op', async () => {
    const first = await migrateToLatest(db);
    expect(first).toEqual({ ok: true, applied: Object.keys(MIGRATIONS) });
    expect(await tables()).toEqual([
      'projection_checkpoints',
      'projection_errors',
      'projection_versions',
    ]);
    expect(await migrateToLatest(db)).toEqual({ ok: true, applied: [] });
  });

  it('stores offsets as int8 and refuses a negative one', async () => {
    await db
      .insertInto('novamed.projection_checkpoints')
      .values({
        projector: 'orders',
        version: 1,
        topic: 't',
        partition: 0,
        next_offset: '9007199254740993',
      })
      .execute();
    const row = await db
      .selectFrom('novamed.projection_checkpoints')
      .select('next_offset')
      .executeTakeFirstOrThrow();
    expect(row.next_offset).toBe('9007199254740993');
    await expect(
      db
        .insertInto('novamed.projection_checkpoints')
        .values({ projector: 'orders', version: 1, topic: 't', partition: 1, next_offset: '-1' })
        .execute(),
    ).rejects.toThrow(/check constraint/);
  });

  it('allows one live version per projector', async () => {
    await db
      .insertInto('novamed.projection_versions')
      .values({ projector: 'orders', version: 1, status: 'live', schema_name: 'orders_v1' })
      .execute();
    await expect(
      db
        .insertInto('novamed.projection_versions')
        .values({ projector: 'orders', version: 2, status: 'live', schema_name: 'orders_v2' })
        .execute(),
    ).rejects.toThrow(/projection_versions_one_live/);
  });

  it('rolls back the newest migrations with down, and forward again', async () => {
    const fingerprint = () =>
      sql`select 1 from information_schema.columns where table_schema = 'novamed'
        and table_name = 'projection_versions' and column_name = 'fingerprint'`.execute(db);
    expect((await fingerprint()).rows).toHaveLength(1);
    expect((await migrateDown(db)).ok).toBe(true);
    expect((await fingerprint()).rows).toHaveLength(0);
    expect((await migrateDown(db)).ok).toBe(true);
    expect(await tables()).toHaveLength(3);
    const analytics =
      await sql`select 1 from information_schema.schemata where schema_name = 'analytics'`.execute(
        db,
      );
    expect(analytics.rows).toHaveLength(0);
    expect((await migrateToLatest(db)).ok).toBe(true);
    expect(await tables()).toHaveLength(3);
  });
});
