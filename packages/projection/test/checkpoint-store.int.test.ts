import type { Database } from '@novamed-stream/db';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  advanceCheckpoint,
  deleteCheckpoints,
  lockCheckpoint,
  readCheckpoints,
  readTopicCheckpoints,
} from '../src/checkpoint-store.js';
import { useMigratedDatabase } from './fixtures.js';

let db: Kysely<Database>;

useMigratedDatabase('checkpoint_store', (opened) => {
  db = opened;
});

const key = (projector: string, version = 1, topic = 't') => ({ projector, version, topic });

async function setTo(
  projector: string,
  version: number,
  topic: string,
  at: Record<number, string>,
) {
  await db.transaction().execute(async (trx) => {
    for (const [p, offset] of Object.entries(at)) {
      const position = { ...key(projector, version, topic), partition: Number(p) };
      const from = await lockCheckpoint(trx, position);
      await advanceCheckpoint(trx, position, from, offset);
    }
  });
}

describe('checkpoint store on a real Postgres', () => {
  it('lockCheckpoint creates a missing checkpoint at 0; advanceCheckpoint moves it', async () => {
    const position = { ...key('a'), partition: 0 };
    const first = await db.transaction().execute((trx) => lockCheckpoint(trx, position));
    expect(first).toBe('0');
    await setTo('a', 1, 't', { 0: '42' });
    expect(await db.transaction().execute((trx) => lockCheckpoint(trx, position))).toBe('42');
  });

  it('advanceCheckpoint moves nothing when the checkpoint is no longer at `from`', async () => {
    await setTo('b', 1, 't', { 0: '10' });
    const position = { ...key('b'), partition: 0 };
    await db.transaction().execute((trx) => advanceCheckpoint(trx, position, '5', '99'));
    expect(await readCheckpoints(db, key('b'))).toEqual(new Map([[0, '10']]));
  });

  it('lockCheckpoint holds a second transaction until the first commits', async () => {
    const position = { ...key('c'), partition: 0 };
    await setTo('c', 1, 't', { 0: '1' });
    const order: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = db.transaction().execute(async (trx) => {
      await lockCheckpoint(trx, position);
      order.push('first locked');
      await held;
      await advanceCheckpoint(trx, position, '1', '2');
      order.push('first moved');
    });
    while (order.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = db.transaction().execute(async (trx) => {
      const seen = await lockCheckpoint(trx, position);
      order.push(`second saw ${seen}`);
    });
    await new Promise((r) => setTimeout(r, 100));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first locked', 'first moved', 'second saw 2']);
  });

  it('readCheckpoints: one projector version on one topic, only the asked partitions', async () => {
    await setTo('d', 1, 't', { 0: '5', 1: '6', 2: '7' });
    await setTo('d', 2, 't', { 0: '50' });
    await setTo('d', 1, 'other', { 0: '500' });
    await setTo('e', 1, 't', { 0: '5000' });
    expect(await readCheckpoints(db, key('d'))).toEqual(
      new Map([
        [0, '5'],
        [1, '6'],
        [2, '7'],
      ]),
    );
    expect(await readCheckpoints(db, key('d'), [0, 2, 3])).toEqual(
      new Map([
        [0, '5'],
        [2, '7'],
      ]),
    );
    expect(await readCheckpoints(db, key('d'), [])).toEqual(new Map());
    expect(await readCheckpoints(db, key('d', 3))).toEqual(new Map());
  });

  it('readTopicCheckpoints: every projector version on a topic, or the filtered ones', async () => {
    await setTo('f', 1, 'topic-f', { 0: '1' });
    await setTo('f', 2, 'topic-f', { 1: '2' });
    await setTo('g', 1, 'topic-f', { 0: '3' });
    const sorted = (rows: Awaited<ReturnType<typeof readTopicCheckpoints>>) =>
      rows.map((r) => `${r.projector} v${r.version} p${r.partition} ${r.nextOffset}`).sort();
    expect(sorted(await readTopicCheckpoints(db, 'topic-f'))).toEqual([
      'f v1 p0 1',
      'f v2 p1 2',
      'g v1 p0 3',
    ]);
    expect(
      sorted(await readTopicCheckpoints(db, 'topic-f', { projector: 'f', versions: [2] })),
    ).toEqual(['f v2 p1 2']);
    expect(await readTopicCheckpoints(db, 'topic-f', { versions: [] })).toEqual([]);
  });

  it('deleteCheckpoints deletes one projector version on every topic, nothing else', async () => {
    await setTo('h', 1, 't', { 0: '1' });
    await setTo('h', 1, 'u', { 0: '1' });
    await setTo('h', 2, 't', { 0: '2' });
    await deleteCheckpoints(db, 'h', 1);
    expect(await readCheckpoints(db, key('h', 1, 't'))).toEqual(new Map());
    expect(await readCheckpoints(db, key('h', 1, 'u'))).toEqual(new Map());
    expect(await readCheckpoints(db, key('h', 2, 't'))).toEqual(new Map([[0, '2']]));
  });
});
