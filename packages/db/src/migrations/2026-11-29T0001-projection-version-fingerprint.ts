import { type Kysely, sql } from 'kysely';

/**
 * `projection_versions.fingerprint`: a digest of the projection logic that built a version
 * (table spec, views and what the read model computes from a fixed probe of events). A rebuild
 * compares it with the live version's to decide whether the new version must equal the old one
 * row for row; a projector service only follows a new live version built by its own logic.
 * Versions created before this migration have none (unknown).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table novamed.projection_versions add column fingerprint text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table novamed.projection_versions drop column if exists fingerprint`.execute(db);
}
