import type { Database } from '@novamed-stream/db';
import { type BatchMessage, type ReapplyResult, reapplyMessages } from '@novamed-stream/projection';
import type { Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import { CliError, usageError } from '../cli-error.js';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type Command,
  type CommandContext,
  integerOption,
  stringOption,
} from '../command.js';
import { connectDatabase, connectKafka } from '../connection.js';
import { PROJECTOR_NAMES, resolveProjectors } from '../projector-names.js';
import { readMessages } from '../read-messages.js';

/** One `projection_errors` row as `errors list --json` prints it. */
export interface ErrorRow {
  id: string;
  projector: string;
  version: number;
  eventId: string | null;
  eventType: string | null;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  details: string[];
  createdAt: string;
  resolvedAt: string | null;
}

const filterHelp = `  --projector <name>          only this projector (${PROJECTOR_NAMES.join(', ')})
  --version <n>               only this version (default: the live versions)`;

function parseIds(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const ids = raw
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0 || ids.some((id) => !/^\d+$/.test(id))) {
    throw usageError(
      `--id must be error ids separated by commas (got ${JSON.stringify(raw)}).`,
      'See the ids with `novamed-stream errors list`.',
    );
  }
  return ids;
}

async function selectErrors(
  context: CommandContext,
  db: Awaited<ReturnType<typeof connectDatabase>>['db'],
  options: { includeResolved: boolean; limit: number; ids?: string[] | undefined },
): Promise<ErrorRow[]> {
  const { values } = context;
  const projector = stringOption(values, 'projector');
  const definitions =
    projector === undefined ? undefined : resolveProjectors(projector, 'errors', false);
  const version =
    stringOption(values, 'version') === undefined
      ? undefined
      : integerOption(values, 'version', 1, { min: 1, max: 1_000_000 });
  let query = db
    .selectFrom('novamed.projection_errors as e')
    .selectAll('e')
    .orderBy('e.id')
    .limit(options.limit);
  if (definitions) query = query.where('e.projector', '=', definitions[0]!.name);
  if (version !== undefined) query = query.where('e.version', '=', version);
  else {
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('novamed.projection_versions as v')
          .select('v.version')
          .whereRef('v.projector', '=', 'e.projector')
          .whereRef('v.version', '=', 'e.version')
          .where('v.status', '=', 'live'),
      ),
    );
  }
  if (!options.includeResolved) query = query.where('e.resolved_at', 'is', null);
  if (options.ids) query = query.where('e.id', 'in', options.ids);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: String(r.id),
    projector: r.projector,
    version: r.version,
    eventId: r.event_id,
    eventType: r.event_type,
    topic: r.topic,
    partition: r.partition,
    offset: String(r.offset),
    reason: r.reason,
    details: r.details,
    createdAt: r.created_at.toISOString(),
    resolvedAt: r.resolved_at?.toISOString() ?? null,
  }));
}

/** `novamed-stream errors list`. */
export const errorsListCommand: Command = {
  name: 'errors list',
  summary: 'Events a projector could not use (projection_errors), with the reason',
  help: `novamed-stream errors list: events the projectors rejected

Usage: novamed-stream errors list [options]

Lists the unresolved rows of novamed.projection_errors of the live versions: which event
(id, type, partition, offset), why (INVALID_DATA, INVALID_JSON, INVALID_ENVELOPE,
UNSUPPORTED_CHARACTER) and the validation details (paths and rules, never values). The same
messages are in the dead-letter topic novamed.dead-letter.v1.

Options:
${filterHelp}
  --all                       include resolved ones
  --limit <n>                 at most this many (default 100)
${CONNECTION_HELP.database}
${CONNECTION_HELP.common}

Example:
  novamed-stream errors list --projector orders`,
  options: {
    ...CONNECTION_OPTIONS.database,
    projector: { type: 'string' },
    version: { type: 'string' },
    all: { type: 'boolean' },
    limit: { type: 'string' },
  },
  async run(context: CommandContext) {
    const { values, io, out } = context;
    const limit = integerOption(values, 'limit', 100, { min: 1, max: 100_000 });
    const database = await connectDatabase(values, io);
    try {
      const errors = await selectErrors(context, database.db, {
        includeResolved: values['all'] === true,
        limit,
      });
      out.document({ ok: true, errors });
      out.table(errors, [
        { header: 'id', value: (e) => e.id, right: true },
        { header: 'projector', value: (e) => `${e.projector} v${e.version}` },
        { header: 'event', value: (e) => e.eventId },
        { header: 'type', value: (e) => e.eventType },
        { header: 'at', value: (e) => `${e.partition}/${e.offset}` },
        { header: 'reason', value: (e) => e.reason },
        { header: 'details', value: (e) => e.details.join('; ').slice(0, 80) },
        { header: 'resolved', value: (e) => e.resolvedAt?.slice(0, 19).replace('T', ' ') },
      ]);
      if (errors.length === limit) out.note(`(first ${limit}; pass --limit for more)`);
      return 0;
    } finally {
      await database.close();
    }
  },
};

/** One retried error and what happened. */
export interface RetryRow {
  id: string;
  projector: string;
  version: number;
  eventId: string | null;
  at: string;
  outcome: ReapplyResult['outcome'] | 'NOT_IN_TOPIC';
  detail: string | null;
}

/** `novamed-stream errors retry`. */
export const errorsRetryCommand: Command = {
  name: 'errors retry',
  summary: 'Re-apply rejected events after a fix (reads them again from the topic)',
  help: `novamed-stream errors retry: re-apply rejected events after a fix

Usage: novamed-stream errors retry [options]

After a release that fixes why events were rejected (a schema or read-model fix), reads each
unresolved error's message again from the events topic (by partition and offset) and applies
it to the live version exactly as the projector would: an event it can now use is added to
the history and folded into its row (an event_id already applied changes nothing), and the
error is marked resolved. Messages still rejected stay unresolved, with the reason. Safe to
run while the projectors run, and to run twice.

Options:
${filterHelp}
  --id <id,id,...>            only these errors (ids from \`errors list\`)
  --limit <n>                 at most this many (default 1000)
${CONNECTION_HELP.kafka}
${CONNECTION_HELP.database}
${CONNECTION_HELP.common}

Exit codes: 0 every selected error was resolved, 1 some are still rejected or gone from the
topic (deleted by retention).

Example:
  novamed-stream errors retry --projector orders`,
  options: {
    ...CONNECTION_OPTIONS.kafka,
    ...CONNECTION_OPTIONS.database,
    projector: { type: 'string' },
    version: { type: 'string' },
    id: { type: 'string' },
    limit: { type: 'string' },
  },
  async run(context: CommandContext) {
    const { values, io, out } = context;
    const limit = integerOption(values, 'limit', 1000, { min: 1, max: 100_000 });
    const ids = parseIds(stringOption(values, 'id'));
    const database = await connectDatabase(values, io);
    try {
      const errors = await selectErrors(context, database.db, {
        includeResolved: false,
        limit,
        ids,
      });
      if (errors.length === 0) {
        out.document({ ok: true, retried: [] });
        out.line('No unresolved errors to retry.');
        return 0;
      }
      const kafka = await connectKafka(values, io);
      const rows: RetryRow[] = [];
      try {
        const byTopic = new Map<string, ErrorRow[]>();
        for (const e of errors) byTopic.set(e.topic, [...(byTopic.get(e.topic) ?? []), e]);
        for (const [topic, topicErrors] of byTopic) {
          rows.push(...(await retryTopic(database.db, kafka.kafka, topic, topicErrors)));
        }
      } finally {
        await kafka.close();
      }
      const unresolved = rows.filter(
        (r) => r.outcome === 'STILL_REJECTED' || r.outcome === 'NOT_IN_TOPIC',
      );
      out.document({ ok: unresolved.length === 0, retried: rows });
      out.table(rows, [
        { header: 'id', value: (r) => r.id, right: true },
        { header: 'projector', value: (r) => `${r.projector} v${r.version}` },
        { header: 'event', value: (r) => r.eventId },
        { header: 'at', value: (r) => r.at },
        { header: 'outcome', value: (r) => r.outcome },
        { header: 'detail', value: (r) => r.detail?.slice(0, 100) },
      ]);
      if (unresolved.length > 0) {
        throw new CliError(
          'STILL_REJECTED',
          `${unresolved.length} of ${rows.length} error(s) could not be re-applied.`,
          {
            hint: 'Fix what the detail column says (deploy the fixed release first), then run `novamed-stream errors retry` again.',
          },
        );
      }
      out.line(`Re-applied ${rows.length} event(s); their errors are resolved.`);
      return 0;
    } finally {
      await database.close();
    }
  },
};

/**
 * Reads the messages of one topic's errors again and re-applies them, per projector version and
 * partition.
 */
async function retryTopic(
  db: Kysely<Database>,
  kafka: Kafka,
  topic: string,
  topicErrors: readonly ErrorRow[],
): Promise<RetryRow[]> {
  const wanted = new Map<number, Set<string>>();
  for (const e of topicErrors) {
    wanted.set(e.partition, (wanted.get(e.partition) ?? new Set()).add(e.offset));
  }
  const messages = await readMessages(kafka, topic, wanted);
  const groups = new Map<string, ErrorRow[]>();
  for (const e of topicErrors) {
    const key = `${e.projector}|${e.version}|${e.partition}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const rows: RetryRow[] = [];
  for (const group of groups.values()) rows.push(...(await retryGroup(db, topic, group, messages)));
  return rows;
}

/** Re-applies the messages of one projector version's errors on one partition. */
async function retryGroup(
  db: Kysely<Database>,
  topic: string,
  group: readonly ErrorRow[],
  messages: ReadonlyMap<number, BatchMessage[]>,
): Promise<RetryRow[]> {
  const first = group[0]!;
  const definition = resolveProjectors(first.projector, 'errors retry', false)[0]!;
  const offsets = new Set(group.map((e) => e.offset));
  const batch = (messages.get(first.partition) ?? []).filter((m) => offsets.has(m.offset));
  const results = batch.length
    ? await reapplyMessages(db, definition, first.version, {
        topic,
        partition: first.partition,
        messages: batch,
      })
    : [];
  return group.map((e) => {
    const r = results.find((x) => x.offset === e.offset);
    return {
      id: e.id,
      projector: e.projector,
      version: e.version,
      eventId: e.eventId,
      at: `${e.partition}/${e.offset}`,
      outcome: r?.outcome ?? 'NOT_IN_TOPIC',
      detail:
        r === undefined
          ? 'the message is no longer in the topic (retention)'
          : r.outcome === 'STILL_REJECTED'
            ? `${r.reason}: ${r.details.join('; ')}`
            : null,
    };
  });
}
