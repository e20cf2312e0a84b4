import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DevstackError } from './errors.js';
import { findRepoRoot } from './repo-root.js';

/**
 * `.novamed-stream/stack.json`: where the running local stack is, for other processes (services
 * started by hand, scripts, benchmarks). Components add their own fields with
 * {@link updateStackFile} (e.g. `ingressUrl`, `webhookKey`).
 */
export interface StackFile {
  /** Kafka bootstrap servers. */
  kafkaBrokers: string[];
  /** Postgres connection string (superuser, `postgres` database). */
  databaseUrl: string;
  /** The event topic, `novamed.events.v1`. */
  topic: string;
  /** When the stack was started (ISO 8601). */
  startedAt: string;
  /** Process ids: `devstack` (the `npm start` process), `kafka` and `postgres` when started. */
  pids: Record<string, number>;
  /** Fields added by other components. */
  [field: string]: unknown;
}

/** Path of the stack file: `<repo root>/.novamed-stream/stack.json`. */
export function stackFilePath(repoRoot: string = findRepoRoot()): string {
  return join(repoRoot, '.novamed-stream', 'stack.json');
}

/** Writes the stack file atomically (a reader never sees half a file); returns its path. */
export async function writeStackFile(
  contents: StackFile,
  path: string = stackFilePath(),
): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(contents, null, 2)}\n`);
  await rename(temporary, path);
  return path;
}

/** The stack file's contents, or `undefined` when no stack is running (no file). */
export async function readStackFile(
  path: string = stackFilePath(),
): Promise<StackFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (!isStackFile(parsed)) {
    throw new DevstackError(`${path} is not a valid stack file.`, {
      hint: 'Stop the stack, delete the file and run `npm start` again.',
    });
  }
  return parsed;
}

/**
 * Merges `patch` into the stack file (shallow) and returns the result. Throws a
 * {@link DevstackError} when there is no stack file (the local stack is not running). Not
 * atomic across processes: two concurrent updates may lose one of them.
 */
export async function updateStackFile(
  patch: Partial<StackFile>,
  path: string = stackFilePath(),
): Promise<StackFile> {
  const current = await readStackFile(path);
  if (!current) {
    throw new DevstackError(`No stack file at ${path}.`, {
      hint: 'Start the local stack first with `npm start`.',
    });
  }
  const next: StackFile = { ...current, ...patch };
  await writeStackFile(next, path);
  return next;
}

/** Deletes the stack file (no error when it is missing). */
export async function removeStackFile(path: string = stackFilePath()): Promise<void> {
  await rm(path, { force: true });
}

function isStackFile(value: unknown): value is StackFile {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    Array.isArray(record['kafkaBrokers']) &&
    typeof record['databaseUrl'] === 'string' &&
    typeof record['topic'] === 'string' &&
    typeof record['startedAt'] === 'string' &&
    typeof record['pids'] === 'object' &&
    record['pids'] !== null
  );
}
