import type { Database } from '@novamed-stream/db';
import { listVersions, readTopicCheckpoints, versionSchema } from '@novamed-stream/projection';
import type { Admin } from 'kafkajs';
import { type Kysely, sql } from 'kysely';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type Command,
  type CommandContext,
} from '../command.js';
import { connectDatabase, connectKafka, resolveTopic } from '../connection.js';
import { formatCount, formatDuration, type Output } from '../output.js';
import { DEFINITIONS, isProjectorGroup, projectorGroup } from '../projector-names.js';
import { replicationWarnings } from '../replication-warnings.js';
import { messageTimestamp, type PartitionOffsets, topicOffsets } from '../topic-offsets.js';

/** One partition of a reader (projector version or consumer group) against the topic's end. */
export interface PartitionLag {
  partition: number;
  /** Next offset to read (checkpoint or committed offset); null when it never read. */
  position: string | null;
  end: string;
  lag: number;
  /** Age of the oldest message not read yet, in seconds; 0 when caught up. */
  behindSeconds: number | null;
}

/** `status --json`, per projector. */
export interface ProjectorStatus {
  projector: string;
  liveVersion: number | null;
  rows: number | null;
  events: number | null;
  unresolvedErrors: number;
  /** Members of the live version's consumer group (running projector services). */
  consumers: number;
  lag: number;
  behindSeconds: number | null;
  partitions: PartitionLag[];
  building: Array<{ version: number; done: number; total: number }>;
  /** Retired versions still consumed by someone (an old release not switched over). */
  retiredWithConsumers: Array<{ version: number; consumers: number }>;
}

/** `status --json`, per downstream consumer group. */
export interface GroupStatus {
  groupId: string;
  state: string;
  members: number;
  lag: number;
  behindSeconds: number | null;
  partitions: PartitionLag[];
}

async function lagOf(
  admin: Admin,
  topic: string,
  offsets: readonly PartitionOffsets[],
  positions: ReadonlyMap<number, bigint>,
  now: number,
): Promise<PartitionLag[]> {
  return Promise.all(
    offsets.map(async (p) => {
      const stored = positions.get(p.partition);
      const from = stored === undefined || stored < p.low ? p.low : stored;
      const lag = p.high > from ? p.high - from : 0n;
      const at = lag > 0n ? await messageTimestamp(admin, topic, p.partition, from, now) : now;
      return {
        partition: p.partition,
        position: stored === undefined ? null : stored.toString(),
        end: p.high.toString(),
        lag: Number(lag),
        behindSeconds: at === null ? null : Math.max(0, (now - at) / 1000),
      };
    }),
  );
}

function worst(partitions: readonly PartitionLag[]): number | null {
  let max = 0;
  for (const p of partitions) {
    if (p.behindSeconds === null) return null;
    max = Math.max(max, p.behindSeconds);
  }
  return max;
}

async function count(db: Kysely<Database>, table: string): Promise<number | null> {
  try {
    const result = await sql<{
      n: string;
    }>`select count(*)::text as n from ${sql.table(table)}`.execute(db);
    return Number(result.rows[0]?.n ?? 0);
  } catch {
    return null;
  }
}

async function groupMembers(
  admin: Admin,
  groupIds: string[],
): Promise<Map<string, { state: string; members: number }>> {
  if (groupIds.length === 0) return new Map();
  const { groups } = await admin.describeGroups(groupIds);
  return new Map(groups.map((g) => [g.groupId, { state: g.state, members: g.members.length }]));
}

/**
 * Every projector's live version, lag per partition (messages and seconds), rows, events,
 * unresolved errors, consumers and running rebuilds (`building`: done/total messages), against
 * the topic's end offsets `offsets` taken at `now`. Shared by `status` and the console.
 */
export async function projectorStatuses(
  db: Kysely<Database>,
  admin: Admin,
  topic: string,
  offsets: readonly PartitionOffsets[],
  now: number,
): Promise<ProjectorStatus[]> {
  const versions = await listVersions(db);
  const checkpoints = await readTopicCheckpoints(db, topic);
  const errors = await db
    .selectFrom('novamed.projection_errors')
    .select(['projector', 'version', (eb) => eb.fn.countAll<string>().as('n')])
    .where('resolved_at', 'is', null)
    .groupBy(['projector', 'version'])
    .execute();
  const members = await groupMembers(
    admin,
    versions.map((v) => projectorGroup(v.projector, v.version, topic)),
  );
  const positionsOf = (projector: string, version: number) =>
    new Map(
      checkpoints
        .filter((c) => c.projector === projector && c.version === version)
        .map((c) => [c.partition, BigInt(c.nextOffset)]),
    );
  const total = (positions: Map<number, bigint>) => {
    let done = 0;
    let all = 0;
    for (const p of offsets) {
      const at = positions.get(p.partition) ?? p.low;
      if (at >= p.high) done += Number(p.high - p.low);
      else if (at > p.low) done += Number(at - p.low);
      all += Number(p.high - p.low);
    }
    return { done, total: all };
  };

  return Promise.all(
    DEFINITIONS.map(async (definition): Promise<ProjectorStatus> => {
      const mine = versions.filter((v) => v.projector === definition.name);
      const live = mine.find((v) => v.status === 'live');
      const partitions = live
        ? await lagOf(admin, topic, offsets, positionsOf(definition.name, live.version), now)
        : [];
      const schema = live ? versionSchema(definition.name, live.version) : undefined;
      return {
        projector: definition.name,
        liveVersion: live?.version ?? null,
        rows: schema ? await count(db, `${schema}.${definition.table.stateTable}`) : null,
        events: schema ? await count(db, `${schema}.${definition.table.eventsTable}`) : null,
        unresolvedErrors: Number(
          errors.find((e) => e.projector === definition.name && e.version === live?.version)?.n ??
            0,
        ),
        consumers: live
          ? (members.get(projectorGroup(definition.name, live.version, topic))?.members ?? 0)
          : 0,
        lag: partitions.reduce((n, p) => n + p.lag, 0),
        behindSeconds: live ? worst(partitions) : null,
        partitions,
        building: mine
          .filter((v) => v.status === 'building')
          .map((v) => ({ version: v.version, ...total(positionsOf(definition.name, v.version)) })),
        retiredWithConsumers: mine
          .filter((v) => v.status === 'retired')
          .map((v) => ({
            version: v.version,
            consumers: members.get(projectorGroup(definition.name, v.version, topic))?.members ?? 0,
          }))
          .filter((v) => v.consumers > 0),
      };
    }),
  );
}

/** Every other consumer group reading `topic` (downstream consumers): state, members, lag. */
export async function groupStatuses(
  admin: Admin,
  topic: string,
  offsets: readonly PartitionOffsets[],
  now: number,
): Promise<GroupStatus[]> {
  const { groups } = await admin.listGroups();
  const candidates = groups
    .map((g) => g.groupId)
    .filter((g) => !isProjectorGroup(g) && !g.startsWith('novamed-stream-cli-'))
    .sort();
  const statuses: GroupStatus[] = [];
  const described = await groupMembers(admin, candidates);
  for (const groupId of candidates) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const positions = new Map(
      (committed?.partitions ?? [])
        .filter((p) => Number(p.offset) >= 0)
        .map((p) => [p.partition, BigInt(p.offset)]),
    );
    if (positions.size === 0) continue; // not a reader of this topic
    const partitions = await lagOf(admin, topic, offsets, positions, now);
    const d = described.get(groupId);
    statuses.push({
      groupId,
      state: d?.state ?? 'Unknown',
      members: d?.members ?? 0,
      lag: partitions.reduce((n, p) => n + p.lag, 0),
      behindSeconds: worst(partitions),
      partitions,
    });
  }
  return statuses;
}

const behind = (seconds: number | null) =>
  seconds === null ? '>30d?' : seconds === 0 ? '0s' : formatDuration(seconds);

/** `novamed-stream status`. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'Projectors (live version, lag per partition, rows, errors) and downstream groups',
  help: `novamed-stream status: how far behind everything is

Usage: novamed-stream status [options]

For each projector: the live version, its checkpoint per partition against the topic's end
(lag in messages, and how old the oldest unapplied message is), rows, events, unresolved
errors, running consumers, and any version being rebuilt. For each other consumer group
reading the topic (downstream consumers): state, members and lag. Also the brokers, the topic's
replication factor and under-replicated partitions, with a warning for under-replicated ones
and for fewer replicas than the brokers allow (up to three).

Options:
${CONNECTION_HELP.kafka}
${CONNECTION_HELP.database}
${CONNECTION_HELP.common}

Example:
  novamed-stream status
  novamed-stream status --json | jq '.projectors[] | {projector, lag}'`,
  options: { ...CONNECTION_OPTIONS.kafka, ...CONNECTION_OPTIONS.database },
  async run({ values, io, out }: CommandContext) {
    const topic = resolveTopic(values);
    const kafka = await connectKafka(values, io);
    try {
      const database = await connectDatabase(values, io);
      try {
        const offsets = await topicOffsets(kafka.admin, topic);
        const now = Date.now();
        const [projectors, groups, replication] = await Promise.all([
          projectorStatuses(database.db, kafka.admin, topic, offsets, now),
          groupStatuses(kafka.admin, topic, offsets, now),
          replicationStatus(kafka.admin, topic),
        ]);
        const messages = offsets.reduce((n, p) => n + Number(p.high - p.low), 0);
        out.document({
          ok: true,
          topic,
          partitions: offsets.map((p) => ({
            partition: p.partition,
            low: p.low.toString(),
            high: p.high.toString(),
          })),
          messages,
          replication,
          projectors,
          groups,
        });
        out.line(`Topic ${topic}: ${offsets.length} partitions, ${formatCount(messages)} messages`);
        out.line(
          `Replication: ${replication.brokers} broker${replication.brokers === 1 ? '' : 's'}, ` +
            `replication factor ${replication.replicationFactor}, ` +
            `${replication.underReplicated.length} under-replicated partition` +
            `${replication.underReplicated.length === 1 ? '' : 's'}`,
        );
        for (const warning of replication.warnings) out.warn(warning);
        printProjectors(out, projectors);
        printGroups(out, topic, groups);
        warnAboutProjectors(out, projectors);
        return 0;
      } finally {
        await database.close();
      }
    } finally {
      await kafka.close();
    }
  },
};

/** The projectors' table and their live versions per partition. */
function printProjectors(out: Output, projectors: readonly ProjectorStatus[]): void {
  out.line();
  out.line('Projectors');
  out.table(projectors, [
    { header: 'projector', value: (p) => p.projector },
    { header: 'live', value: (p) => (p.liveVersion === null ? 'none' : `v${p.liveVersion}`) },
    {
      header: 'rows',
      value: (p) => (p.rows === null ? null : formatCount(p.rows)),
      right: true,
    },
    {
      header: 'events',
      value: (p) => (p.events === null ? null : formatCount(p.events)),
      right: true,
    },
    { header: 'lag', value: (p) => formatCount(p.lag), right: true },
    {
      header: 'behind',
      value: (p) => (p.liveVersion === null ? null : behind(p.behindSeconds)),
      right: true,
    },
    { header: 'errors', value: (p) => p.unresolvedErrors, right: true },
    { header: 'consumers', value: (p) => p.consumers, right: true },
    {
      header: 'rebuilding',
      value: (p) =>
        p.building
          .map(
            (b) => `v${b.version} ${b.total === 0 ? 100 : Math.floor((b.done / b.total) * 100)}%`,
          )
          .join(', '),
    },
  ]);
  printLivePartitions(out, projectors);
}

function printLivePartitions(out: Output, projectors: readonly ProjectorStatus[]): void {
  const rows = projectors.flatMap((p) =>
    p.partitions.map((partition) => ({
      projector: `${p.projector} v${p.liveVersion}`,
      ...partition,
    })),
  );
  if (rows.length > 0) {
    out.line();
    out.line('Live versions per partition');
    out.table(rows, [
      { header: 'projector', value: (r) => r.projector },
      { header: 'partition', value: (r) => r.partition, right: true },
      { header: 'checkpoint', value: (r) => r.position, right: true },
      { header: 'end', value: (r) => r.end, right: true },
      { header: 'lag', value: (r) => formatCount(r.lag), right: true },
      { header: 'behind', value: (r) => behind(r.behindSeconds), right: true },
    ]);
  }
}

function printGroups(out: Output, topic: string, groups: readonly GroupStatus[]): void {
  out.line();
  out.line(`Downstream consumer groups on ${topic}`);
  out.table(groups, [
    { header: 'group', value: (g) => g.groupId },
    { header: 'state', value: (g) => g.state },
    { header: 'members', value: (g) => g.members, right: true },
    { header: 'lag', value: (g) => formatCount(g.lag), right: true },
    { header: 'behind', value: (g) => behind(g.behindSeconds), right: true },
  ]);
}

/** A projector with no live version, or a retired version still consumed, needs the operator. */
function warnAboutProjectors(out: Output, projectors: readonly ProjectorStatus[]): void {
  for (const p of projectors) {
    if (p.liveVersion === null) {
      out.warn(
        `${p.projector} has no live version: start its projector service (or \`npm start\`).`,
      );
    }
    for (const r of p.retiredWithConsumers) {
      out.warn(
        `${p.projector} v${r.version} is retired but ${r.consumers} consumer(s) still read it: a projector service is pinned to it (PROJECTION_VERSION) or runs other projection logic than the live v${p.liveVersion}; restart it with the release that built v${p.liveVersion}.`,
      );
    }
  }
}

/** The topic's replication as `status` reports it. */
export interface ReplicationStatus {
  /** Brokers the cluster reports. */
  brokers: number;
  /** The smallest replica count of the topic's partitions. */
  replicationFactor: number;
  /** Partitions with fewer replicas in sync than they have. */
  underReplicated: number[];
  /** From {@link replicationWarnings}. */
  warnings: string[];
}

/** Brokers, replication factor and under-replicated partitions of `topic`. */
async function replicationStatus(admin: Admin, topic: string): Promise<ReplicationStatus> {
  const [cluster, metadata] = await Promise.all([
    admin.describeCluster(),
    admin.fetchTopicMetadata({ topics: [topic] }),
  ]);
  const partitions = (metadata.topics[0]?.partitions ?? []).map((p) => ({
    partition: p.partitionId,
    replicas: p.replicas,
    isr: p.isr,
  }));
  return {
    brokers: cluster.brokers.length,
    replicationFactor:
      partitions.length === 0 ? 0 : Math.min(...partitions.map((p) => p.replicas.length)),
    underReplicated: partitions
      .filter((p) => p.isr.length < p.replicas.length)
      .map((p) => p.partition)
      .sort((a, b) => a - b),
    warnings: replicationWarnings(topic, partitions, cluster.brokers.length),
  };
}
