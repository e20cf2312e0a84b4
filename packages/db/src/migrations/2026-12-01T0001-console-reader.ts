import { type Kysely, sql } from 'kysely';

/**
 * `console_reader`, the read-only role of the console (services/console, issue 16). A NOLOGIN
 * group: the console connects with its login and `set role console_reader`, so every statement
 * it runs has this role's rights and no more. It gets:
 * - `analytics_reader` (the de-identified views): the explorer's masked view, the funnels;
 * - `phi_reader` (the audited `analytics_identified` views): "show PHI", an explicit action,
 *   recorded per read in `novamed.phi_access_log` with role `console_reader`;
 * - `select` on the three projection control tables it reports (versions, checkpoints,
 *   errors), and nothing else in schema `novamed`: not the pseudonym key, not the audit trail,
 *   not the read models' base tables. No writes anywhere.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Roles are cluster-wide and several databases may migrate at once: tolerate a race.
  await sql`do $$ begin
    create role console_reader nologin;
  exception when duplicate_object or unique_violation then null;
  end $$`.execute(db);
  await sql`comment on role console_reader is
    'The console service: de-identified analytics, audited identified analytics, projection control tables; read-only.'`.execute(
    db,
  );
  await sql`grant analytics_reader to console_reader`.execute(db);
  await sql`grant phi_reader to console_reader`.execute(db);
  await sql`grant usage on schema novamed to console_reader`.execute(db);
  await sql`grant select on novamed.projection_versions, novamed.projection_checkpoints,
    novamed.projection_errors to console_reader`.execute(db);
}

/** Revokes the console's rights in this database (the role, cluster-wide, stays). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`revoke select on novamed.projection_versions, novamed.projection_checkpoints,
    novamed.projection_errors from console_reader`.execute(db);
  await sql`revoke usage on schema novamed from console_reader`.execute(db);
  await sql`revoke phi_reader from console_reader`.execute(db);
  await sql`revoke analytics_reader from console_reader`.execute(db);
}
