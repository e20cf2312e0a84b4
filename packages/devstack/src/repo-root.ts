import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevstackError } from './errors.js';

/**
 * The monorepo root: the nearest folder at or above `from` whose package.json has `workspaces`.
 * Defaults to searching from this package's own location, so it works from any working folder.
 */
export function findRepoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && hasWorkspaces(manifest)) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new DevstackError(`No package.json with "workspaces" at or above ${from}.`, {
    hint: 'Run this from inside the novamed-stream repository.',
  });
}

function hasWorkspaces(manifest: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'workspaces' in parsed;
  } catch {
    return false;
  }
}
