import { loadavg } from 'node:os';
import type { Database } from '@novamed-stream/db';
import type { AggregateKind } from '@novamed-stream/events';
import type { ProjectorDefinition } from '@novamed-stream/projection';
import type { ProjectorName } from '@novamed-stream/projectors';
import type { AggregateState } from '@novamed-stream/read-models';
import { generateEventMix, type MixMessage } from '@novamed-stream/testkit';
import { type Kysely, sql } from 'kysely';
import { type CpuGroup, CpuWindow } from './cpu-sampler.js';
import { type FreshnessResult, measureFreshness } from './freshness.js';
import type { ChildConfig } from './projector-child.js';
import { ProjectorProcess } from './projector-processes.js';
import type { WebhookSender } from './webhook-sender.js';

/** Options of {@link runFreshnessScenario}. */
export interface FreshnessScenario {
  name: string;
  /** The projectors running (one process each); their version's tables must exist. */
  definitions: ReadonlyArray<ProjectorDefinition<AggregateState>>;
  version: number;
  /** Only events of these aggregates are sent. */
  kinds: readonly AggregateKind[];
  sender: WebhookSender;
  /** The topic the sender appends to. */
  topic: string;
  brokers: string[];
  databaseUrl: string;
  runId: string;
  /** For the poller (a pool of its own) and for Postgres stats. */
  pollDb: Kysely<Database>;
  cpuGroups: readonly CpuGroup[];
  ratePerSecond: number;
  seconds: number;
  /** createProjector knobs and experiments, as for the replays. */
  child: Pick<ChildConfig, 'maxBytesPerPartition' | 'partitionsConcurrently' | 'experiment'>;
  cpuProfileDir?: string | undefined;
  log: (line: string) => void;
}

/** A freshness measurement with the load it ran under. */
export type FreshnessScenarioResult = FreshnessResult & {
  name: string;
  path: string;
  projectors: string[];
  load: Record<string, unknown>;
};

const round = (value: number, digits = 0) => Number(value.toFixed(digits));
const WARMUP_SECONDS = 3;

/**
 * Starts the scenario's projectors (one process each, fresh consumer groups from offset 0 of
 * the sender's topic), sends a warm-up, then measures ingress 200 -> row visible for
 * `seconds` at `ratePerSecond`, with the CPU use of every process involved.
 */
export async function runFreshnessScenario(s: FreshnessScenario): Promise<FreshnessScenarioResult> {
  const projectors = spawnProjectors(s);
  try {
    await Promise.all(projectors.map((p) => p.ready()));
    const { warmup, measured } = scenarioMessages(s);
    s.log(
      `freshness ${s.name} via ${s.sender.path}: ${s.kinds.join('+')} events at ${s.ratePerSecond}/s for ${s.seconds} s, projectors ${s.definitions.map((d) => d.name).join('+')}`,
    );
    const cpu = new CpuWindow([
      ...s.cpuGroups,
      { name: 'ingress', pid: s.sender.ingressPid, descendants: true },
      ...projectors.map((p) => ({ name: `projector:${p.name}`, pid: p.pid, descendants: false })),
    ]);
    const { load, around } = loadRecorder(s, cpu);
    const result = await measureFreshness({
      around,
      send: s.sender.send,
      db: s.pollDb,
      targets: s.definitions.map((definition) => ({ definition, version: s.version })),
      warmup,
      measured,
      ratePerSecond: s.ratePerSecond,
      pollIntervalMs: 10,
      drainTimeoutMs: 30_000,
    });
    const stats = await Promise.all(projectors.map((p) => p.stop()));
    load['projectorBatches'] = Object.fromEntries(
      projectors.map((p, i) => {
        const st = stats[i];
        return [
          p.name,
          st && {
            batches: st.batches,
            messages: st.messages,
            avgBatchMs: round((1000 * st.batchSeconds) / Math.max(1, st.batches), 1),
          },
        ];
      }),
    );
    return {
      ...result,
      name: s.name,
      path: s.sender.path,
      projectors: s.definitions.map((d) => d.name),
      load,
    };
  } finally {
    await Promise.all(projectors.map((p) => p.stop()));
  }
}

/** One runtime projector process per definition, each in a fresh group from offset 0. */
function spawnProjectors(s: FreshnessScenario): ProjectorProcess[] {
  return s.definitions.map((definition) =>
    ProjectorProcess.spawn(
      {
        mode: 'runtime',
        projector: definition.name as ProjectorName,
        version: s.version,
        brokers: s.brokers,
        databaseUrl: s.databaseUrl,
        topic: s.topic,
        groupId: `bench-fresh-${s.name}-${definition.name}-${s.runId}`,
        ends: [],
        ...s.child,
      },
      {},
      s.cpuProfileDir,
    ),
  );
}

/** The warm-up and measured events, of the scenario's kinds only. */
function scenarioMessages(s: FreshnessScenario): {
  warmup: MixMessage[];
  measured: MixMessage[];
} {
  const wanted = new Set<string>(s.kinds);
  const total = s.ratePerSecond * (s.seconds + WARMUP_SECONDS);
  // Generate enough of the mix that the wanted kinds alone fill warm-up and measurement.
  const mix = generateEventMix({
    runId: `${s.runId}${s.name}`,
    messages: Math.ceil((total * 3) / s.kinds.length) + 1000,
    duplicateRate: 0,
    seed: 7,
  });
  const messages = mix.messages.filter((m) =>
    wanted.has(m.headers['novamed-event-type']?.split(':')[0] ?? ''),
  );
  const warmupCount = s.ratePerSecond * WARMUP_SECONDS;
  return {
    warmup: messages.slice(0, warmupCount),
    measured: messages.slice(warmupCount, warmupCount + s.ratePerSecond * s.seconds),
  };
}

/**
 * The CPU window, Postgres commits/s and load average over the measured sends, recorded into
 * `load` by measureFreshness's `around` hook.
 */
function loadRecorder(
  s: FreshnessScenario,
  cpu: CpuWindow,
): { load: Record<string, unknown>; around: (phase: 'start' | 'end') => Promise<void> } {
  const load: Record<string, unknown> = {};
  const commits = async () =>
    Number(
      (
        await sql<{ n: string }>`select xact_commit::text as n from pg_stat_database
          where datname = current_database()`.execute(s.pollDb)
      ).rows[0]?.n ?? 0,
    );
  let startedAt = 0;
  let commitsBefore = 0;
  const around = async (phase: 'start' | 'end') => {
    if (phase === 'start') {
      cpu.started();
      startedAt = performance.now();
      commitsBefore = await commits();
    } else {
      cpu.finished();
      const seconds = (performance.now() - startedAt) / 1000;
      load['postgresCommitsPerSecond'] = round(((await commits()) - commitsBefore) / seconds);
      load['cores'] = cpu.cores();
      load['loadAverage'] = round(loadavg()[0] ?? 0, 1);
    }
  };
  return { load, around };
}
