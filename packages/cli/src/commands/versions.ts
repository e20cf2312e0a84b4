import { listVersions, logicFingerprint, versionSchema } from '@novamed-stream/projection';
import { sql } from 'kysely';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type Command,
  type CommandContext,
} from '../command.js';
import { connectDatabase } from '../connection.js';
import { formatCount } from '../output.js';
import { DEFINITIONS, PROJECTOR_NAMES, resolveProjectors } from '../projector-names.js';

/** One row of `versions`. */
export interface VersionRow {
  projector: string;
  version: number;
  status: 'building' | 'live' | 'retired';
  schema: string;
  createdAt: string;
  liveAt: string | null;
  rows: number | null;
  fingerprint: string | null;
  /** The version was built by the projection logic of this release. */
  sameLogic: boolean | null;
}

/** `novamed-stream versions [projection]`. */
export const versionsCommand: Command = {
  name: 'versions',
  summary: 'List the read-model versions (building, live, retired) with their rows',
  help: `novamed-stream versions: the read-model versions

Usage: novamed-stream versions [${PROJECTOR_NAMES.join('|')}] [options]

Lists every version of each projector's read model: its status (building: a rebuild fills
it; live: the analytics views read it; retired: replaced), its schema, when it was created and
went live, its row count, and whether it was built by the projection logic of this release
(its logic fingerprint). Remove old ones with \`novamed-stream drop-version\`.

Options:
${CONNECTION_HELP.database}
${CONNECTION_HELP.common}

Example:
  novamed-stream versions orders`,
  options: { ...CONNECTION_OPTIONS.database },
  async run({ values, positionals, io, out }: CommandContext) {
    const definitions =
      positionals[0] === undefined
        ? DEFINITIONS
        : resolveProjectors(positionals[0], 'versions', false);
    const database = await connectDatabase(values, io);
    try {
      const rows = await listVersions(
        database.db,
        definitions.map((d) => d.name),
      );
      const result: VersionRow[] = [];
      for (const row of rows) {
        const definition = definitions.find((d) => d.name === row.projector)!;
        let count: number | null = null;
        try {
          const counted = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(
            `${versionSchema(row.projector, row.version)}.${definition.table.stateTable}`,
          )}`.execute(database.db);
          count = Number(counted.rows[0]?.n ?? 0);
        } catch {
          count = null;
        }
        result.push({
          projector: row.projector,
          version: row.version,
          status: row.status,
          schema: row.schema_name,
          createdAt: row.created_at.toISOString(),
          liveAt: row.live_at?.toISOString() ?? null,
          rows: count,
          fingerprint: row.fingerprint,
          sameLogic:
            row.fingerprint === null ? null : row.fingerprint === logicFingerprint(definition),
        });
      }
      out.document({ ok: true, versions: result });
      out.table(result, [
        { header: 'projector', value: (r) => r.projector },
        { header: 'version', value: (r) => `v${r.version}` },
        { header: 'status', value: (r) => r.status },
        { header: 'schema', value: (r) => r.schema },
        {
          header: 'rows',
          value: (r) => (r.rows === null ? null : formatCount(r.rows)),
          right: true,
        },
        { header: 'created', value: (r) => r.createdAt.slice(0, 19).replace('T', ' ') },
        { header: 'live since', value: (r) => r.liveAt?.slice(0, 19).replace('T', ' ') },
        {
          header: 'logic',
          value: (r) =>
            r.fingerprint === null
              ? 'unknown'
              : `${r.fingerprint.slice(0, 8)}${r.sameLogic ? ' (this release)' : ' (other release)'}`,
        },
      ]);
      return 0;
    } finally {
      await database.close();
    }
  },
};
