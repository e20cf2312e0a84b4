import { type Kysely, type MigrationResult, Migrator } from 'kysely';
import { MIGRATIONS } from './migrations/index.js';

/** Outcome of a migration run. */
export type MigrateOutcome =
  | { ok: true; applied: string[] }
  | { ok: false; applied: string[]; failed: string; error: Error };

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableSchema: 'public',
  });
}

function summarise(results: MigrationResult[] | undefined, error: unknown): MigrateOutcome {
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error === undefined) return { ok: true, applied };
  const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? '(before any)';
  return {
    ok: false,
    applied,
    failed,
    error: error instanceof Error ? error : new Error(String(error)),
  };
}

/**
 * Applies every pending migration, each in its own transaction. Safe to run concurrently from
 * several processes: Kysely takes an advisory lock.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrateOutcome> {
  const { results, error } = await migrator(db as unknown as Kysely<unknown>).migrateToLatest();
  return summarise(results, error);
}

/** Reverts the most recent migration (its `down`). */
export async function migrateDown<DB>(db: Kysely<DB>): Promise<MigrateOutcome> {
  const { results, error } = await migrator(db as unknown as Kysely<unknown>).migrateDown();
  return summarise(results, error);
}
