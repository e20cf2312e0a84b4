import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@novamed-stream/testkit';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDb,
  type Database,
  MIGRATIONS,
  migrateDown,
  migrateToLatest,
  pseudonym,
  pseudonymSql,
  rotatePseudonymKey,
} from '../src/index.js';

const ALL_TABLES = [
  'phi_access_log',
  'projection_checkpoints',
  'projection_errors',
  'projection_versions',
  'pseudonym_key',
];

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
    expect(await tables()).toEqual(ALL_TABLES);
    expect(await migrateToLatest(db)).toEqual({ ok: true, applied: [] });
  });

  it('creates one random pseudonym key, out of reach of both reader roles', async () => {
    const keys = await db.selectFrom('novamed.pseudonym_key').selectAll().execute();
    expect(keys).toHaveLength(1);
    expect(keys[0]?.key_version).toBe(1);
    expect(keys[0]?.inner_pad).toHaveLength(64);
    for (const role of ['analytics_reader', 'phi_reader']) {
      await db.connection().execute(async (conn) => {
        await sql`set role ${sql.id(role)}`.execute(conn);
        await expect(sql`select * from novamed.pseudonym_key`.execute(conn)).rejects.toThrow(
          /permission denied/,
        );
        await sql`reset role`.execute(conn);
      });
    }
  });

  it('computes in SQL the pseudonym Node computes, and rotates the key in place', async () => {
    const key = randomBytes(40);
    const rotated = await rotatePseudonymKey(db, key);
    expect(rotated).toMatchObject({ ok: true, keyVersion: 2, previousKeyVersion: 1 });
    const ids = ['pat_1', 'pät ✓ 2', "o'brien"];
    const inSql = async () =>
      (
        await sql<{ p: string | null }>`select ${sql.raw(pseudonymSql('patient', 'id'))} as p
          from unnest(${[...ids, null]}::text[]) with ordinality as t(id, n) order by n`.execute(db)
      ).rows.map((r) => r.p);
    expect(await inSql()).toEqual([...ids.map((id) => pseudonym(key, 'patient', id)), null]);
    expect(pseudonym(key, 'patient', 'x')).not.toBe(pseudonym(key, 'practitioner', 'x'));
    const longKey = randomBytes(100);
    expect(await rotatePseudonymKey(db, longKey)).toMatchObject({ ok: true, keyVersion: 3 });
    expect(await inSql()).toEqual([...ids.map((id) => pseudonym(longKey, 'patient', id)), null]);
    expect(await rotatePseudonymKey(db, randomBytes(16))).toEqual({
      ok: false,
      reason: 'KEY_TOO_SHORT',
      minBytes: 32,
    });
    expect(await db.selectFrom('novamed.pseudonym_key').selectAll().execute()).toHaveLength(1);
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
    // The console's read-only role: grants only, no table.
    expect((await migrateDown(db)).ok).toBe(true);
    expect(await tables()).toEqual(ALL_TABLES);
    const consoleGrants =
      await sql`select 1 from information_schema.role_table_grants where grantee = 'console_reader'
        and table_catalog = current_database()`.execute(db);
    expect(consoleGrants.rows).toHaveLength(0);
    expect((await migrateDown(db)).ok).toBe(true);
    expect(await tables()).toHaveLength(3);
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
    expect(await tables()).toEqual(ALL_TABLES);
  });
});
