import { type Kysely, sql } from 'kysely';

/**
 * The `analytics` schema (stable views over the live read-model versions) and the
 * `analytics_reader` role, which may read those views and nothing else. The role is NOLOGIN:
 * give analysts their own login roles that are members of it
 * (`create role alice login password '...' in role analytics_reader`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createSchema('analytics').ifNotExists().execute();
  // Roles are cluster-wide and several databases may migrate at once: tolerate a race.
  await sql`do $$ begin
    create role analytics_reader nologin;
  exception when duplicate_object or unique_violation then null;
  end $$`.execute(db);
  await sql`grant usage on schema analytics to analytics_reader`.execute(db);
  await sql`revoke create on schema public from public`.execute(db);
  await sql`comment on schema analytics is
    'Stable, read-only views over the live read-model versions. Query these, not the versioned schemas.'`.execute(
    db,
  );
}

/** Drops the analytics schema (the role stays: other databases may use it). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropSchema('analytics').ifExists().cascade().execute();
}
