import type { Database } from '@novamed-stream/db';
import { EVENTS_TOPIC } from '@novamed-stream/events';
import type { AggregateState } from '@novamed-stream/read-models';
import { type Kysely, sql } from 'kysely';
import { sleep } from './backoff.js';
import { readCheckpoints } from './checkpoint-store.js';
import { compareVersions, type VersionComparison } from './compare-versions.js';
import { type Logger, silentLogger } from './logger.js';
import { logicFingerprint } from './logic-fingerprint.js';
import type { ProjectionAdmin, ProjectionKafka } from './projection-kafka.js';
import { createProjector, type Projector } from './projector.js';
import { type ProjectorDefinition, projectorGroupId } from './projector-definition.js';
import { activateVersion, dropVersion, ensureVersionTables } from './projector-schema.js';
import { ReplayProgress } from './replay-progress.js';
import { listVersions } from './version-store.js';

/** Options of {@link rebuildProjection}. */
export interface RebuildOptions<S extends AggregateState> {
  definition: ProjectorDefinition<S>;
  /** kafkajs's `Kafka`, or anything with the calls of {@link ProjectionKafka}. */
  kafka: ProjectionKafka;
  db: Kysely<Database>;
  /** Source topic; default `novamed.events.v1`. */
  topic?: string;
  /**
   * `resume` (default): continue the newest `building` version if it was built by the same
   * logic (else start a new one); `fresh`: drop any building version and start a new one.
   */
  start?: 'resume' | 'fresh';
  /** Require the new version to equal the live one (as when the logic did not change). */
  expectIdentical?: boolean;
  /** The logic changed: report checksum differences, do not require equality. */
  logicChanged?: boolean;
  /** Do not require equal row and history counts. */
  allowRowCountChange?: boolean;
  /** Swap the analytics views to the new version when it checks out; default true. */
  activate?: boolean;
  /** Aborting stops the rebuild; the live version is untouched. */
  signal?: AbortSignal;
  /** Progress and phase changes. */
  onEvent?: (event: RebuildEvent) => void;
  /** How often `progress` events are sent; default 1 s. */
  progressIntervalMs?: number;
  /**
   * After the swap, how long to keep consuming until the projector service has moved to the
   * new version (it joins the new version's consumer group); default 30 s. Only waited for
   * when the old live version's group had members.
   */
  handoffTimeoutMs?: number;
  /** Consumer session timeout; default 10 s (a killed rebuild's group frees up sooner). */
  sessionTimeoutMs?: number;
  partitionsConcurrently?: number;
  maxBytesPerPartition?: number;
  logger?: Logger;
}

/** Progress of the replay: messages applied against the end offsets taken at start. */
export interface RebuildProgress {
  done: number;
  total: number;
  /** Messages per second over the last few seconds. */
  perSecond: number;
  /** Seconds left at the current rate; null before there is a rate. */
  etaSeconds: number | null;
  elapsedSeconds: number;
}

/** How the new version was checked against the live one. */
export interface RebuildVerification {
  /**
   * `identical`: the new version must equal the live one; `changed`: differences are
   * expected and reported; `first`: no live version to compare with.
   */
  mode: 'identical' | 'changed' | 'first';
  /** Why this mode. */
  because: string;
  checks: Array<{ name: 'counts' | 'checksum'; ok: boolean; required: boolean; detail: string }>;
  comparison: VersionComparison | null;
  ok: boolean;
}

/** What a rebuild reports while it runs. */
export type RebuildEvent =
  | {
      type: 'started';
      projector: string;
      version: number;
      liveVersion: number | null;
      /** Continues a building version left by an earlier run. */
      resumed: boolean;
      /** Why a building version was not resumed, when one existed. */
      restartedBecause: string | null;
      /** Per partition: start position and the end offset taken now. */
      partitions: Array<{ partition: number; from: string; end: string; low: string }>;
      total: number;
      /** Retention already deleted the start of some partitions. */
      truncated: boolean;
    }
  | ({ type: 'progress'; projector: string; version: number } & RebuildProgress)
  | {
      type: 'caught-up';
      projector: string;
      version: number;
      /** From start (group join included) to caught up. */
      seconds: number;
      /** Messages per second after the first batch (the group join left out). */
      replayPerSecond: number;
    }
  | { type: 'verified'; projector: string; version: number; verification: RebuildVerification }
  | { type: 'activated'; projector: string; version: number; previousVersion: number | null }
  | {
      type: 'handed-off';
      projector: string;
      version: number;
      handoff: RebuildHandoff;
    };

/**
 * After the swap: a projector service moved to the new version (`service`), there was no
 * service consuming the old version (`no-service`), none moved in time (`timeout`), the
 * rebuild was stopped first (`aborted`), or there was no swap (`not-activated`).
 */
export type RebuildHandoff = 'service' | 'no-service' | 'timeout' | 'aborted' | 'not-activated';

/** Outcome of {@link rebuildProjection}. */
export type RebuildOutcome =
  | {
      ok: true;
      projector: string;
      version: number;
      previousVersion: number | null;
      resumed: boolean;
      activated: boolean;
      verification: RebuildVerification;
      handoff: RebuildHandoff;
      /** Messages replayed up to the end offsets taken at start. */
      messages: number;
      /** Seconds from start to caught up. */
      seconds: number;
      messagesPerSecond: number;
      /** Messages per second after the first batch (the group join left out). */
      replayPerSecond: number;
    }
  | { ok: false; reason: 'ALREADY_RUNNING'; projector: string }
  | {
      ok: false;
      reason: 'ABORTED';
      projector: string;
      version: number;
      done: number;
      total: number;
    }
  | {
      ok: false;
      reason: 'VERIFICATION_FAILED';
      projector: string;
      version: number;
      verification: RebuildVerification;
    };

type Db = Kysely<Database>;

/**
 * Rebuilds a projector's read model into a new version while the live one keeps serving and
 * consuming:
 * 1. takes a session lock (one rebuild per projector at a time) and picks the version: the
 *    newest `building` one built by the same logic (resume), else max + 1 (new tables);
 * 2. reads the topic's end offsets and replays from each partition's checkpoint (0 for new
 *    tables) with {@link createProjector} in the version's own consumer group
 *    ({@link projectorGroupId}: `novamed-projector-<name>-v<N>`), reporting progress against
 *    those ends;
 * 3. once every partition reached its end (events that arrive meanwhile keep being applied),
 *    compares it with the live version ({@link compareVersions}): counts, and a checksum
 *    that must match when the logic did not change (same fingerprint) or `expectIdentical`;
 * 4. swaps the `analytics` views to it in one transaction ({@link activateVersion});
 * 5. keeps consuming until the projector service has moved to the new version, then stops.
 * Aborted or killed before step 4, the live version is untouched and the building version
 * (tables and checkpoints, always consistent) is resumed by the next run.
 */
export async function rebuildProjection<S extends AggregateState>(
  options: RebuildOptions<S>,
): Promise<RebuildOutcome> {
  const { definition, db } = options;
  const lockKey = `novamed-rebuild:${definition.name}`;
  return db.connection().execute(async (session) => {
    const locked = await sql<{
      locked: boolean;
    }>`select pg_try_advisory_lock(hashtext(${lockKey})) as locked`.execute(session);
    if (!locked.rows[0]?.locked) {
      return { ok: false, reason: 'ALREADY_RUNNING', projector: definition.name } as const;
    }
    try {
      return await rebuildLocked(options);
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${lockKey}))`.execute(session);
    }
  });
}

/** What the steps of a rebuild share once its version is picked. */
interface Replay {
  name: string;
  topic: string;
  version: number;
  liveVersion: number | undefined;
  liveFingerprint: string | null;
  fingerprint: string;
  resumed: boolean;
  progress: ReplayProgress;
  emit: (event: RebuildEvent) => void;
  aborted: () => boolean;
}

async function rebuildLocked<S extends AggregateState>(
  options: RebuildOptions<S>,
): Promise<RebuildOutcome> {
  const replay = await prepareReplay(options);
  const { name, version, progress, emit } = replay;
  const projector = replayProjector(options, replay);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await projector.stop();
  };
  const abortedOutcome = (): RebuildOutcome => ({
    ok: false,
    reason: 'ABORTED',
    projector: name,
    version,
    done: progress.done(),
    total: progress.total,
  });
  try {
    await projector.start();
    if (!(await untilCaughtUp(replay, options.progressIntervalMs ?? 1000))) {
      await stop();
      return abortedOutcome();
    }
    const rates = progress.rates(performance.now());
    emit({ type: 'progress', projector: name, version, ...progress.sample(performance.now()) });
    emit({ type: 'caught-up', projector: name, version, ...rates });

    const verification = await verify(options.db, options.definition, {
      ...replay,
      expectIdentical: options.expectIdentical === true,
      logicChanged: options.logicChanged === true,
      allowRowCountChange: options.allowRowCountChange === true,
    });
    emit({ type: 'verified', projector: name, version, verification });
    if (!verification.ok) {
      await stop();
      return { ok: false, reason: 'VERIFICATION_FAILED', projector: name, version, verification };
    }
    if (replay.aborted()) {
      await stop();
      return abortedOutcome();
    }
    const success = (activated: boolean, handoff: RebuildHandoff): RebuildOutcome => ({
      ok: true,
      projector: name,
      version,
      previousVersion: replay.liveVersion ?? null,
      resumed: replay.resumed,
      activated,
      verification,
      handoff,
      messages: progress.total,
      seconds: rates.seconds,
      messagesPerSecond:
        rates.seconds > 0 ? Math.round(progress.total / rates.seconds) : progress.total,
      replayPerSecond: rates.replayPerSecond,
    });
    if (options.activate === false) {
      await stop();
      return success(false, 'not-activated');
    }
    const handoff = await activateAndHandOff(options, replay);
    await stop();
    emit({ type: 'handed-off', projector: name, version, handoff });
    return success(true, handoff);
  } finally {
    await stop();
  }
}

/**
 * Picks the version, creates its tables, and takes the replay's start (checkpoints) and end
 * (the topic's end offsets now); emits `started`.
 */
async function prepareReplay<S extends AggregateState>(
  options: RebuildOptions<S>,
): Promise<Replay> {
  const { definition, db, kafka } = options;
  const topic = options.topic ?? EVENTS_TOPIC;
  const name = definition.name;
  const emit = options.onEvent ?? (() => {});
  const fingerprint = logicFingerprint(definition);
  const { version, liveVersion, liveFingerprint, resumed, restartedBecause } = await pickVersion(
    db,
    definition,
    fingerprint,
    options.start ?? 'resume',
  );
  await ensureVersionTables(db, definition, version);

  const admin = kafka.admin();
  await admin.connect();
  let offsets: Array<{ partition: number; low: string; high: string }>;
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const stored = await readCheckpoints(db, { projector: name, version, topic });
  const partitions = ReplayProgress.partitionsOf(offsets, stored);
  const progress = new ReplayProgress(partitions, performance.now());
  emit({
    type: 'started',
    projector: name,
    version,
    liveVersion: liveVersion ?? null,
    resumed,
    restartedBecause,
    partitions: partitions.map((p) => ({
      partition: p.partition,
      from: p.from.toString(),
      end: p.end.toString(),
      low: p.low.toString(),
    })),
    total: progress.total,
    truncated: partitions.some((p) => p.low > 0n),
  });
  const aborted = () => options.signal?.aborted === true;
  return {
    name,
    topic,
    version,
    liveVersion,
    liveFingerprint,
    fingerprint,
    resumed,
    progress,
    emit,
    aborted,
  };
}

/** The projector that replays into the new version, in that version's own consumer group. */
function replayProjector<S extends AggregateState>(
  options: RebuildOptions<S>,
  replay: Replay,
): Projector {
  const { name, version, topic, progress } = replay;
  return createProjector({
    definition: options.definition,
    version,
    kafka: options.kafka,
    db: options.db,
    topic,
    groupId: projectorGroupId(name, version, topic),
    // A rebuild re-reads rejected messages: they are recorded for this version in
    // projection_errors, and are already in the dead-letter topic from the live projector.
    deadLetterTopic: null,
    logger: options.logger ?? silentLogger,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    ...(options.partitionsConcurrently === undefined
      ? {}
      : { partitionsConcurrently: options.partitionsConcurrently }),
    ...(options.maxBytesPerPartition === undefined
      ? {}
      : { maxBytesPerPartition: options.maxBytesPerPartition }),
    onBatch: ({ partition, outcome }) =>
      progress.applied(partition, outcome.nextOffset, performance.now()),
  });
}

/** Waits until every partition reached its end, emitting progress; false when aborted. */
async function untilCaughtUp(replay: Replay, intervalMs: number): Promise<boolean> {
  const { name, version, progress, emit } = replay;
  let lastProgress = 0;
  while (!progress.caughtUp()) {
    if (replay.aborted()) return false;
    if (performance.now() - lastProgress >= intervalMs) {
      lastProgress = performance.now();
      emit({ type: 'progress', projector: name, version, ...progress.sample(lastProgress) });
    }
    await sleep(100);
  }
  return true;
}

/**
 * Swaps the analytics views to the new version, then waits (while still consuming) until the
 * service that consumed the old live version has joined the new version's group.
 */
async function activateAndHandOff<S extends AggregateState>(
  options: RebuildOptions<S>,
  replay: Replay,
): Promise<RebuildHandoff> {
  const { kafka, db, definition } = options;
  const { name, version, topic, liveVersion } = replay;
  const serviceClients =
    liveVersion === undefined
      ? []
      : await groupClients(kafka, projectorGroupId(name, liveVersion, topic));
  await activateVersion(db, definition, version);
  replay.emit({
    type: 'activated',
    projector: name,
    version,
    previousVersion: liveVersion ?? null,
  });
  if (serviceClients.length === 0) return 'no-service';
  return waitForHandoff(
    kafka,
    projectorGroupId(name, version, topic),
    new Set(serviceClients),
    options.handoffTimeoutMs ?? 30_000,
    replay.aborted,
  );
}

async function pickVersion<S extends AggregateState>(
  db: Db,
  definition: ProjectorDefinition<S>,
  fingerprint: string,
  start: 'resume' | 'fresh',
): Promise<{
  version: number;
  liveVersion: number | undefined;
  liveFingerprint: string | null;
  resumed: boolean;
  restartedBecause: string | null;
}> {
  // Newest first.
  const versions = (await listVersions(db, [definition.name])).reverse();
  const live = versions.find((v) => v.status === 'live');
  const newest = versions[0]?.version ?? 0;
  const building = versions.find(
    (v) => v.status === 'building' && (live === undefined || v.version > live.version),
  );
  const base = { liveVersion: live?.version, liveFingerprint: live?.fingerprint ?? null };
  if (building === undefined) {
    return { ...base, version: newest + 1, resumed: false, restartedBecause: null };
  }
  if (start === 'resume' && building.fingerprint === fingerprint) {
    return { ...base, version: building.version, resumed: true, restartedBecause: null };
  }
  const restartedBecause =
    start === 'fresh'
      ? `--fresh: dropped building version ${building.version}`
      : `building version ${building.version} was started by other projection logic; dropped it`;
  await dropVersion(db, definition.name, building.version);
  return { ...base, version: newest + 1, resumed: false, restartedBecause };
}

async function verify<S extends AggregateState>(
  db: Db,
  definition: ProjectorDefinition<S>,
  input: {
    liveVersion: number | undefined;
    liveFingerprint: string | null;
    fingerprint: string;
    version: number;
    topic: string;
    expectIdentical: boolean;
    logicChanged: boolean;
    allowRowCountChange: boolean;
  },
): Promise<RebuildVerification> {
  if (input.liveVersion === undefined) {
    return {
      mode: 'first',
      because: 'there is no live version to compare with',
      checks: [],
      comparison: null,
      ok: true,
    };
  }
  const [mode, because]: [RebuildVerification['mode'], string] = input.expectIdentical
    ? ['identical', '--expect-identical was given']
    : input.logicChanged
      ? ['changed', '--logic-changed was given']
      : input.liveFingerprint === input.fingerprint
        ? ['identical', "the projection logic is the live version's (same logic fingerprint)"]
        : input.liveFingerprint === null
          ? ['changed', 'the live version has no logic fingerprint (built by an older release)']
          : [
              'changed',
              "the projection logic changed (its fingerprint differs from the live version's)",
            ];
  const comparison = await compareVersions(
    db,
    definition,
    input.liveVersion,
    input.version,
    input.topic,
  );
  const { live, candidate } = comparison;
  const n = (value: number) => value.toLocaleString('en-US');
  const checks: RebuildVerification['checks'] = [
    {
      name: 'counts',
      ok: comparison.countsEqual,
      required: !input.allowRowCountChange,
      detail: `rows ${n(live.rows)} live / ${n(candidate.rows)} new, events ${n(live.history)} / ${n(candidate.history)} (${n(comparison.excluded)} aggregates still moving left out)`,
    },
    {
      name: 'checksum',
      ok: comparison.identical,
      required: mode === 'identical',
      detail: comparison.identical
        ? `equal (${candidate.checksum})`
        : `${n(comparison.differingRows)} of ${n(Math.max(live.rows, candidate.rows))} rows differ${
            comparison.columns.onlyLive.length + comparison.columns.onlyCandidate.length > 0
              ? `; columns only live: ${comparison.columns.onlyLive.join(', ') || '-'}, only new: ${comparison.columns.onlyCandidate.join(', ') || '-'}`
              : ''
          }`,
    },
  ];
  return {
    mode,
    because,
    checks,
    comparison,
    ok: checks.every((c) => c.ok || !c.required),
  };
}

/** The client ids of a consumer group's members (none when the group is empty or unknown). */
async function groupClients(kafka: ProjectionKafka, groupId: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await membersOf(admin, groupId);
  } finally {
    await admin.disconnect();
  }
}

async function membersOf(admin: ProjectionAdmin, groupId: string): Promise<string[]> {
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return (groups[0]?.members ?? []).map((m) => m.clientId);
  } catch {
    return [];
  }
}

/**
 * How often the handoff looks at the new group: every wait adds to `rebuild all`'s wall time
 * (one handoff per read model), and a describe on an open connection is cheap.
 */
const HANDOFF_POLL_MS = 100;

async function waitForHandoff(
  kafka: ProjectionKafka,
  groupId: string,
  serviceClients: Set<string>,
  timeoutMs: number,
  aborted: () => boolean,
): Promise<RebuildHandoff> {
  const deadline = Date.now() + timeoutMs;
  // One connection for the whole wait rather than one per look.
  const admin = kafka.admin();
  await admin.connect();
  try {
    while (Date.now() < deadline) {
      if (aborted()) return 'aborted';
      const clients = await membersOf(admin, groupId);
      if (clients.some((c) => serviceClients.has(c))) return 'service';
      await sleep(HANDOFF_POLL_MS);
    }
    return 'timeout';
  } finally {
    await admin.disconnect();
  }
}
