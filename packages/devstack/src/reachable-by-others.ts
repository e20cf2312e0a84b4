import { stat } from 'node:fs/promises';
import { dirname, parse } from 'node:path';

/**
 * The first folder above `path` that other users cannot traverse (no `x` bit for others), or
 * `undefined` when every folder up to the root can be traversed. As root, Postgres runs as the
 * `postgres` user, which needs that to reach its binaries and its data.
 */
export async function firstUntraversableFolder(path: string): Promise<string | undefined> {
  const { root } = parse(path);
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) return dir;
    if (dir === root) return undefined;
  }
}
