import type { Database } from '@novamed-stream/db';
import { dropVersion, findVersion } from '@novamed-stream/projection';
import { type Kysely, sql } from 'kysely';
import { CliError, usageError } from '../cli-error.js';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type Command,
  type CommandContext,
} from '../command.js';
import { connectDatabase, connectKafka, resolveTopic } from '../connection.js';
import { PROJECTOR_NAMES, projectorGroup, resolveProjectors } from '../projector-names.js';

/** `novamed-stream drop-version <projection> <version>`. */
export const dropVersionCommand: Command = {
  name: 'drop-version',
  summary: 'Delete a retired (or abandoned building) version: tables, checkpoints, group',
  help: `novamed-stream drop-version: delete an old read-model version

Usage: novamed-stream drop-version <${PROJECTOR_NAMES.join('|')}> <version> [options]

Deletes a version that is not live: its schema (<name>_v<N>, tables included), its
checkpoints and error rows, its row in projection_versions, and its Kafka consumer group.
Refuses the live version, a version a rebuild is filling right now, and a version whose
consumer group still has members. A building version (left by an interrupted rebuild) needs
--force.

Options:
  --force                     also drop a building version (no rebuild may be running)
${CONNECTION_HELP.kafka}
${CONNECTION_HELP.database}
${CONNECTION_HELP.common}

Example:
  novamed-stream drop-version orders 1`,
  options: {
    ...CONNECTION_OPTIONS.kafka,
    ...CONNECTION_OPTIONS.database,
    force: { type: 'boolean' },
  },
  async run({ values, positionals, io, out }: CommandContext) {
    const [definition] = resolveProjectors(positionals[0], 'drop-version', false);
    const rawVersion = positionals[1]?.replace(/^v/, '');
    if (!definition || rawVersion === undefined || !/^\d+$/.test(rawVersion)) {
      throw usageError(
        'drop-version needs a projection and a version number.',
        'For example `novamed-stream drop-version orders 1` (see `novamed-stream versions`).',
      );
    }
    const version = Number(rawVersion);
    const name = definition.name;
    const database = await connectDatabase(values, io);
    try {
      await assertDroppable(database.db, name, version, values['force'] === true);
      const kafka = await connectKafka(values, io);
      try {
        const groupId = projectorGroup(name, version, resolveTopic(values));
        const { groups } = await kafka.admin.describeGroups([groupId]);
        const members = groups[0]?.members.length ?? 0;
        if (members > 0) {
          throw new CliError(
            'VERSION_IN_USE',
            `${members} consumer(s) still read ${name} v${version} (group ${groupId}).`,
            {
              hint: 'Stop the process that consumes it (a projector service pinned with PROJECTION_VERSION, or one running an older release), then run this again.',
            },
          );
        }
        const dropped = await dropVersion(database.db, name, version);
        if (!dropped.ok) {
          throw new CliError(
            'DROP_REFUSED',
            `${name} v${version} could not be dropped: ${dropped.reason}.`,
            {
              hint: 'List the versions with `novamed-stream versions` and try again.',
            },
          );
        }
        const groupDeleted = await kafka.admin
          .deleteGroups([groupId])
          .then(() => true)
          .catch(() => false);
        out.document({ ok: true, projector: name, version, schema: dropped.schema, groupDeleted });
        out.line(
          `Dropped ${name} v${version}: schema ${dropped.schema}, checkpoints, errors${groupDeleted ? `, consumer group ${groupId}` : ''}.`,
        );
        return 0;
      } finally {
        await kafka.close();
      }
    } finally {
      await database.close();
    }
  },
};

/**
 * Refuses a version that does not exist, is live, or is building while a rebuild of `name` runs
 * (or without `force`).
 */
async function assertDroppable(
  db: Kysely<Database>,
  name: string,
  version: number,
  force: boolean,
): Promise<void> {
  const row = await findVersion(db, name, version);
  if (!row) {
    throw new CliError('NO_SUCH_VERSION', `${name} has no version ${version}.`, {
      hint: 'List them with `novamed-stream versions`.',
    });
  }
  if (row.status === 'live') {
    throw new CliError(
      'VERSION_IS_LIVE',
      `${name} v${version} is live: the analytics views read it.`,
      {
        hint: `Make another version live first (\`novamed-stream rebuild ${name}\`), then drop this one.`,
      },
    );
  }
  if (row.status === 'building') {
    const key = `novamed-rebuild:${name}`;
    const free = await db.connection().execute(async (session) => {
      const lock = await sql<{ free: boolean }>`
        select pg_try_advisory_lock(hashtext(${key})) as free`.execute(session);
      if (lock.rows[0]?.free)
        await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(session);
      return lock.rows[0]?.free === true;
    });
    if (!free) {
      throw new CliError('REBUILD_RUNNING', `A rebuild of ${name} is running right now.`, {
        hint: 'Stop it (Ctrl-C in its terminal) or let it finish first.',
      });
    }
    if (!force) {
      throw new CliError(
        'VERSION_IS_BUILDING',
        `${name} v${version} is a building version (an interrupted rebuild).`,
        {
          hint: `\`novamed-stream rebuild ${name}\` resumes it; to delete it anyway pass --force.`,
        },
      );
    }
  }
}
