import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DevstackError } from './errors.js';
import { findRepoRoot } from './repo-root.js';
import {
  readStackFile,
  removeStackFile,
  type StackFile,
  stackFilePath,
  updateStackFile,
  writeStackFile,
} from './stack-file.js';

const example: StackFile = {
  kafkaBrokers: ['127.0.0.1:9092'],
  databaseUrl: 'postgres://postgres:postgres@127.0.0.1:54329/postgres',
  topic: 'novamed.events.v1',
  startedAt: '2025-01-01T00:00:00.000Z',
  pids: { devstack: 1, kafka: 2, postgres: 3 },
};

describe('stack file', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'stack-file-'));
    await writeFile(join(root, 'package.json'), JSON.stringify({ workspaces: ['packages/*'] }));
    await mkdir(join(root, 'packages', 'devstack', 'src'), { recursive: true });
    await writeFile(join(root, 'packages', 'devstack', 'package.json'), '{"name":"x"}');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lives in .novamed-stream/ at the workspace root, found from a nested folder', () => {
    expect(findRepoRoot(join(root, 'packages', 'devstack', 'src'))).toBe(root);
    expect(stackFilePath(root)).toBe(join(root, '.novamed-stream', 'stack.json'));
  });

  it('finds this repository from its own location by default', () => {
    expect(findRepoRoot()).toBe(join(import.meta.dirname, '..', '..', '..'));
  });

  it('throws a DevstackError outside a workspace', () => {
    expect(() => findRepoRoot('/')).toThrow(DevstackError);
  });

  it('round-trips, merges updates from other components, and is removed', async () => {
    const path = stackFilePath(root);
    expect(await readStackFile(path)).toBeUndefined();
    await writeStackFile(example, path);
    expect(await readStackFile(path)).toEqual(example);

    const updated = await updateStackFile(
      { ingressUrl: 'http://127.0.0.1:3000', webhookKey: 'k' },
      path,
    );
    expect(updated).toEqual({ ...example, ingressUrl: 'http://127.0.0.1:3000', webhookKey: 'k' });
    expect(await readStackFile(path)).toEqual(updated);

    await removeStackFile(path);
    expect(await readStackFile(path)).toBeUndefined();
    await removeStackFile(path);
  });

  it('refuses to update when no stack runs', async () => {
    await expect(updateStackFile({ ingressUrl: 'x' }, stackFilePath(root))).rejects.toMatchObject({
      name: 'DevstackError',
      hint: expect.stringContaining('npm start'),
    });
  });

  it('rejects a file that is not a stack file', async () => {
    const path = stackFilePath(root);
    await mkdir(join(root, '.novamed-stream'));
    await writeFile(path, '{"kafkaBrokers":"not-a-list"}');
    await expect(readStackFile(path)).rejects.toThrow(DevstackError);
  });
});
