import { type Kysely, sql } from 'kysely';

/** The shared control schema: checkpoints, projection versions, projection errors. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createSchema('novamed').ifNotExists().execute();
  await db.schema
    .withSchema('novamed')
    .createTable('projection_checkpoints')
    .addColumn('projector', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('next_offset', 'bigint', (c) => c.notNull().check(sql`next_offset >= 0`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('projection_checkpoints_pk', [
      'projector',
      'version',
      'topic',
      'partition',
    ])
    .execute();
  await db.schema
    .withSchema('novamed')
    .createTable('projection_versions')
    .addColumn('projector', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('building', 'live', 'retired')`),
    )
    .addColumn('schema_name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('live_at', 'timestamptz')
    .addPrimaryKeyConstraint('projection_versions_pk', ['projector', 'version'])
    .execute();
  // At most one live version per projector.
  await sql`create unique index projection_versions_one_live
    on novamed.projection_versions (projector) where status = 'live'`.execute(db);
  await db.schema
    .withSchema('novamed')
    .createTable('projection_errors')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('projector', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('event_type', 'text')
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('offset', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .addUniqueConstraint('projection_errors_position', [
      'projector',
      'version',
      'topic',
      'partition',
      'offset',
    ])
    .execute();
}

/** Drops the control schema and everything in it. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropSchema('novamed').ifExists().cascade().execute();
}
