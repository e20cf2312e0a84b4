import type { Admin } from 'kafkajs';
import { CliError, usageError } from '../cli-error.js';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type Command,
  type CommandContext,
  requiredOption,
} from '../command.js';
import { connectKafka, resolveTopic } from '../connection.js';
import { formatCount } from '../output.js';
import { isProjectorGroup } from '../projector-names.js';
import { type PartitionOffsets, topicOffsets } from '../topic-offsets.js';

/** Where `replay --to` moves a group. */
export type ReplayTarget =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'time'; timestamp: number; iso: string };

/** Parses `--to`: `earliest`, `latest`, or an ISO 8601 date-time with a time zone. */
export function parseReplayTarget(raw: string): ReplayTarget {
  const value = raw.trim();
  if (value === 'earliest' || value === 'latest') return { kind: value };
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;
  const timestamp = Date.parse(value);
  if (!iso.test(value) || Number.isNaN(timestamp)) {
    throw usageError(
      `--to must be earliest, latest, or an ISO 8601 time with a zone (got ${JSON.stringify(raw)}).`,
      'For example --to 2025-01-15T10:00:00Z (a bare date means midnight UTC).',
    );
  }
  return { kind: 'time', timestamp, iso: new Date(timestamp).toISOString() };
}

/** One partition of a replay: where the group was and where it is moved to. */
export interface ReplayPartition {
  partition: number;
  /** Committed offset before; null when the group had none. */
  before: string | null;
  after: string;
  /** Messages the group will read again (or skip, when negative). */
  reread: number;
}

/** `novamed-stream replay --group <group> --to <earliest|time|latest>`. */
export const replayCommand: Command = {
  name: 'replay',
  summary: "Move a downstream consumer group's offsets (earliest, a time, latest)",
  help: `novamed-stream replay: make a downstream consumer group reread the topic

Usage: novamed-stream replay --group <group> --to <earliest|ISO time|latest> [options]

Sets the committed offsets of a consumer group on the events topic: to the earliest message
still kept (earliest), to the first message written at or after a time, or to the end
(latest: skip everything not read yet). The group's consumers read from there when they
start. Refuses while the group has active members: stop its consumers first (Kafka only
lets an idle group's offsets be moved). Projector groups are refused too: projectors resume
from their checkpoints in Postgres; use \`novamed-stream rebuild\`.

Options:
  --group <group>             the consumer group (required)
  --to <target>               earliest | latest | 2025-01-15T10:00:00Z (required)
  --dry-run                   show the new offsets without moving them
${CONNECTION_HELP.kafka}
${CONNECTION_HELP.common}

Examples:
  novamed-stream replay --group billing-sync --to earliest
  novamed-stream replay --group billing-sync --to 2025-01-15T00:00:00Z --dry-run`,
  options: {
    ...CONNECTION_OPTIONS.kafka,
    group: { type: 'string' },
    to: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  async run({ values, io, out }: CommandContext) {
    const groupId = requiredOption(values, 'group', 'replay');
    const target = parseReplayTarget(requiredOption(values, 'to', 'replay'));
    if (isProjectorGroup(groupId)) {
      throw new CliError(
        'PROJECTOR_GROUP',
        `${groupId} is a projector's group: projectors resume from their checkpoints in Postgres, not from Kafka offsets.`,
        { hint: 'To recompute a read model, use `novamed-stream rebuild <projection>`.' },
      );
    }
    const topic = resolveTopic(values);
    const kafka = await connectKafka(values, io);
    try {
      const { admin } = kafka;
      const offsets = await topicOffsets(admin, topic);
      await assertGroupIdle(admin, groupId);
      const partitions = await plannedPartitions(admin, topic, groupId, target, offsets);
      const dryRun = values['dry-run'] === true;
      if (!dryRun) {
        await moveGroup(admin, groupId, topic, partitions);
      }
      const total = partitions.reduce((n, p) => n + p.reread, 0);
      const to = target.kind === 'time' ? target.iso : target.kind;
      out.document({ ok: true, dryRun, groupId, topic, to, partitions, reread: total });
      out.table(partitions, [
        { header: 'partition', value: (p) => p.partition, right: true },
        { header: 'before', value: (p) => p.before ?? 'none', right: true },
        { header: 'after', value: (p) => p.after, right: true },
        { header: 'reread', value: (p) => formatCount(p.reread), right: true },
      ]);
      const effect =
        total >= 0
          ? `reread ${formatCount(total)} messages`
          : `skip ${formatCount(-total)} unread messages`;
      out.line(
        dryRun
          ? `Dry run: ${groupId} would move to ${to} (its consumers would ${effect}). Nothing changed.`
          : `Moved ${groupId} to ${to}: its consumers ${effect} when they start. The topic is at least once: dedup by event_id.`,
      );
      return 0;
    } finally {
      await kafka.close();
    }
  },
};

/** Kafka only moves an idle group's offsets: refuses a group with members or not Empty/Dead. */
async function assertGroupIdle(admin: Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  const members = group?.members ?? [];
  if (members.length > 0 || (group && !['Empty', 'Dead'].includes(group.state))) {
    const clients = [...new Set(members.map((m) => `${m.clientId}@${m.clientHost}`))];
    throw new CliError(
      'GROUP_ACTIVE',
      `Consumer group ${groupId} has ${members.length} active member(s) (${group?.state ?? 'unknown'}${clients.length > 0 ? `: ${clients.join(', ')}` : ''}).`,
      {
        hint: 'Stop every consumer of the group, wait until `novamed-stream status` shows it Empty, then run replay again.',
      },
    );
  }
}

/** Each partition's committed offset and where `target` moves it. */
async function plannedPartitions(
  admin: Admin,
  topic: string,
  groupId: string,
  target: ReplayTarget,
  offsets: readonly PartitionOffsets[],
): Promise<ReplayPartition[]> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const before = new Map(
    (committed?.partitions ?? []).map((p) => [p.partition, p.offset] as const),
  );
  const byTime =
    target.kind === 'time'
      ? new Map(
          (await admin.fetchTopicOffsetsByTimestamp(topic, target.timestamp)).map((p) => [
            p.partition,
            p.offset,
          ]),
        )
      : undefined;
  return offsets.map((p) => {
    const after =
      target.kind === 'earliest'
        ? p.low.toString()
        : target.kind === 'latest'
          ? p.high.toString()
          : (byTime?.get(p.partition) ?? p.high.toString());
    const was = before.get(p.partition);
    const known = was !== undefined && Number(was) >= 0 ? was : null;
    const from = known === null ? p.high : BigInt(known);
    return {
      partition: p.partition,
      before: known,
      after,
      reread: Number(from - BigInt(after)),
    };
  });
}

async function moveGroup(
  admin: Admin,
  groupId: string,
  topic: string,
  partitions: readonly ReplayPartition[],
): Promise<void> {
  try {
    await admin.setOffsets({
      groupId,
      topic,
      partitions: partitions.map((p) => ({ partition: p.partition, offset: p.after })),
    });
  } catch (error) {
    throw new CliError(
      'REPLAY_FAILED',
      `Kafka refused to move ${groupId}: ${(error as Error).message}`,
      {
        hint: 'A consumer of the group probably started meanwhile: stop it and run replay again.',
      },
    );
  }
}
