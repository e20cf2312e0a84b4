import { type Kysely, sql } from 'kysely';
import { generatePseudonymKey, hmacPads } from '../pseudonym-key.js';

/**
 * Two tiers of analytics (issue 17):
 * - `analytics` (role `analytics_reader`) becomes a limited data set: the projectors' views
 *   there show pseudonyms instead of patient and practitioner ids, computed with the key in
 *   `novamed.pseudonym_key` (created here, random, unless one is already there);
 * - `analytics_identified` (role `phi_reader`) keeps every column; each read of it is recorded
 *   in `novamed.phi_access_log` by `novamed.record_phi_read`, which the audited views call.
 * Neither role has any right on schema `novamed`: the key and the audit trail are out of reach.
 * Views that earlier releases created in `analytics` showed PHI: analytics_reader loses them
 * here, and gets the de-identified ones when a rebuild (or the service's first start) creates
 * them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table novamed.pseudonym_key (
    singleton boolean primary key default true check (singleton),
    key_version integer not null check (key_version > 0),
    inner_pad bytea not null check (octet_length(inner_pad) = 64),
    outer_pad bytea not null check (octet_length(outer_pad) = 64),
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`revoke all on novamed.pseudonym_key from public`.execute(db);
  await sql`comment on table novamed.pseudonym_key is
    'HMAC-SHA256 pads of the key behind every pseudonym in the analytics views. Secret: no reader role may see it. Rotate with novamed-stream pseudonym-key rotate.'`.execute(
    db,
  );
  const { inner_pad, outer_pad } = hmacPads(generatePseudonymKey());
  await sql`insert into novamed.pseudonym_key (key_version, inner_pad, outer_pad)
    values (1, ${inner_pad}, ${outer_pad}) on conflict do nothing`.execute(db);

  await sql`create table novamed.phi_access_log (
    id bigserial primary key,
    read_at timestamptz not null default statement_timestamp(),
    login_role text not null,
    effective_role text not null,
    object text not null,
    query text,
    backend_pid integer not null,
    application_name text,
    client_addr inet
  )`.execute(db);
  await sql`revoke all on novamed.phi_access_log from public`.execute(db);
  await sql`comment on table novamed.phi_access_log is
    'One row per read of an analytics_identified view: who (login and effective role), when, which view, the statement. Readers cannot see or change it.'`.execute(
    db,
  );
  // Called by the audited read functions (SECURITY DEFINER, owned like this one), never by a
  // reader. The row commits with the reader's transaction; the server-log line does not
  // depend on it, so a read whose transaction rolled back still leaves the line (with the
  // audit id that is then missing from the table). The line carries roles and the view name,
  // never the statement, which may hold PHI.
  await sql`create function novamed.record_phi_read(object text, reader name) returns void
    language plpgsql set search_path = pg_catalog, pg_temp as $$
    declare
      audit_id bigint;
    begin
      insert into novamed.phi_access_log
        (login_role, effective_role, object, query, backend_pid, application_name, client_addr)
      values (session_user, reader, object, current_query(), pg_backend_pid(),
              current_setting('application_name', true), inet_client_addr())
      returning id into audit_id;
      raise log 'novamed phi access: audit id %, login %, role %, view analytics_identified.%',
        audit_id, session_user, reader, object;
    end $$`.execute(db);
  await sql`revoke all on function novamed.record_phi_read(text, name) from public`.execute(db);

  // Roles are cluster-wide and several databases may migrate at once: tolerate a race.
  await sql`do $$ begin
    create role phi_reader nologin;
  exception when duplicate_object or unique_violation then null;
  end $$`.execute(db);
  await sql`create schema analytics_identified`.execute(db);
  await sql`grant usage on schema analytics_identified to phi_reader`.execute(db);
  await sql`comment on schema analytics_identified is
    'Identified (PHI) views over the live read-model versions, for phi_reader. Every read is audited in novamed.phi_access_log.'`.execute(
    db,
  );
  // The unaudited sources of the audited views; no reader has any right on this schema.
  await sql`create schema novamed_identified`.execute(db);
  await sql`revoke all on all tables in schema analytics from analytics_reader`.execute(db);
}

/** Drops both identified schemas, the audit trail and the key (the role stays). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop schema if exists analytics_identified cascade`.execute(db);
  await sql`drop schema if exists novamed_identified cascade`.execute(db);
  await sql`drop function if exists novamed.record_phi_read(text, name)`.execute(db);
  await sql`drop table if exists novamed.phi_access_log`.execute(db);
  await sql`drop table if exists novamed.pseudonym_key`.execute(db);
}
