import type { Database } from '@novamed-stream/db';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  deleteVersionRow,
  findVersion,
  insertBuildingVersion,
  listVersions,
  liveVersion,
  markVersionLive,
  readLiveVersion,
} from '../src/version-store.js';
import { useMigratedDatabase } from './fixtures.js';

let db: Kysely<Database>;

useMigratedDatabase('version_store', (opened) => {
  db = opened;
});

const building = (projector: string, version: number, fingerprint = `fp${version}`) =>
  insertBuildingVersion(db, {
    projector,
    version,
    schemaName: `${projector}_v${version}`,
    fingerprint,
  });

const statuses = async (projector: string) =>
  (await listVersions(db, [projector])).map((v) => `v${v.version} ${v.status}`);

describe('version store on a real Postgres', () => {
  it('records a building version once (a second insert keeps the first)', async () => {
    await building('a', 1, 'first');
    await building('a', 1, 'second');
    const row = await findVersion(db, 'a', 1);
    expect(row).toMatchObject({ status: 'building', schema_name: 'a_v1', fingerprint: 'first' });
    expect(await findVersion(db, 'a', 2)).toBeUndefined();
  });

  it('marks one version live and retires the previous live one, in one transaction', async () => {
    await building('b', 1);
    await building('b', 2);
    expect(await liveVersion(db, 'b')).toBeUndefined();
    await db.transaction().execute((trx) => markVersionLive(trx, 'b', 1));
    expect(await readLiveVersion(db, 'b')).toEqual({ version: 1, fingerprint: 'fp1' });
    await db.transaction().execute((trx) => markVersionLive(trx, 'b', 2));
    expect(await liveVersion(db, 'b')).toBe(2);
    expect(await statuses('b')).toEqual(['v1 retired', 'v2 live']);
    expect((await findVersion(db, 'b', 2))?.live_at).toBeInstanceOf(Date);
  });

  it('lists versions by projector then version; only the asked projectors', async () => {
    await building('d', 2);
    await building('c', 3);
    await building('c', 1);
    const rows = await listVersions(db, ['c', 'd']);
    expect(rows.map((r) => `${r.projector} v${r.version}`)).toEqual(['c v1', 'c v3', 'd v2']);
    expect(await listVersions(db, [])).toEqual([]);
    expect((await listVersions(db)).length).toBeGreaterThanOrEqual(3);
  });

  it('deletes one version row, nothing else', async () => {
    await building('e', 1);
    await building('e', 2);
    await deleteVersionRow(db, 'e', 1);
    expect(await statuses('e')).toEqual(['v2 building']);
  });
});
