import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ProjectorDefinition } from '@novamed-stream/projection';
import { rebuildWallTime, type TimedRebuildEvent } from './rebuild-wall-time.js';

/** Where `rebuild all` runs and what it rebuilds. */
export interface RebuildAllOptions {
  /** Names this run in the log and in `phases` ('initial', 'rebuild'). */
  label: string;
  topic: string;
  brokers: readonly string[];
  databaseUrl: string;
  /** `rebuild --concurrency` (undefined: the CLI's default). */
  concurrency: number | undefined;
  /** Messages on the topic: the replay time is derived from the CLI's replay rate. */
  total: number;
  definitions: readonly ProjectorDefinition[];
  /** Receives each non-progress event with its time, to explain slow queries. */
  phases: Array<{ at: number; phase: string }>;
  log: (line: string) => void;
}

/** One read model's rebuild as the CLI reported it. */
export interface RebuildOutcome {
  projector: string;
  version: number;
  /** Replay time, after the first batch (total / the CLI's replay rate). */
  seconds: number;
  secondsWithJoin: number;
  eventsPerSecond: number;
  check: { mode: string; ok: boolean; checks: unknown[] };
  handoff: string;
}

/** One `rebuild all`: each read model's outcome, and the replay and wall times of the whole. */
export interface RebuildAllRun {
  outcomes: RebuildOutcome[];
  replaySeconds: number;
  wallSeconds: number;
  wallTime: ReturnType<typeof rebuildWallTime>;
}

const cli = fileURLToPath(new URL('../../packages/cli/src/main.ts', import.meta.url));

/**
 * `novamed-stream rebuild all` as operators run it: its own process, NDJSON events on stdout.
 * Its replay rate leaves the group join out, like the raw loop's. Throws when it exits non-zero.
 */
export async function runRebuildAll(options: RebuildAllOptions): Promise<RebuildAllRun> {
  const started = performance.now();
  const child = spawnRebuildAll(options);
  const { events, timeline } = collectEvents(child, started, options);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const exitMs = performance.now() - started;
  if (code !== 0) throw new Error(`${options.label}: rebuild all exited ${code}`);
  const outcomes = outcomesOf(events, options);
  return {
    outcomes,
    replaySeconds: outcomes.reduce((n, o) => n + o.seconds, 0),
    wallSeconds: exitMs / 1000,
    wallTime: rebuildWallTime(
      timeline.filter((e) => e.projector !== ''),
      new Map(outcomes.map((o) => [o.projector, o.seconds])),
      exitMs,
    ),
  };
}

function spawnRebuildAll(options: RebuildAllOptions): ChildProcessByStdio<null, Readable, null> {
  return spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      '--conditions=source',
      cli,
      'rebuild',
      'all',
      '--topic',
      options.topic,
      '--json',
      ...(options.concurrency === undefined ? [] : ['--concurrency', String(options.concurrency)]),
    ],
    {
      env: {
        ...process.env,
        KAFKA_BROKERS: options.brokers.join(','),
        DATABASE_URL: options.databaseUrl,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
}

/** Parses the NDJSON lines as they come; non-progress events are timed and kept as phases. */
function collectEvents(
  child: ChildProcessByStdio<null, Readable, null>,
  started: number,
  { label, phases }: RebuildAllOptions,
): { events: Array<Record<string, unknown>>; timeline: TimedRebuildEvent[] } {
  const events: Array<Record<string, unknown>> = [];
  const timeline: TimedRebuildEvent[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      if (event['type'] !== 'progress') {
        timeline.push({
          atMs: performance.now() - started,
          type: String(event['type']),
          projector: String(event['projector'] ?? ''),
        });
        phases.push({
          at: Date.now(),
          phase: `${label} ${event['projector'] ?? ''} ${event['type']}`,
        });
      }
    }
  });
  return { events, timeline };
}

/** Each read model's caught-up, verified and handed-off events, logged as one line. */
function outcomesOf(
  events: ReadonlyArray<Record<string, unknown>>,
  { label, total, definitions, log }: RebuildAllOptions,
): RebuildOutcome[] {
  const of = (type: string) => events.filter((e) => e['type'] === type);
  return definitions.map((d) => {
    const caught = of('caught-up').find((e) => e['projector'] === d.name) as {
      version: number;
      seconds: number;
      replayPerSecond: number;
    };
    const verified = of('verified').find((e) => e['projector'] === d.name) as {
      verification: { mode: string; ok: boolean; checks: unknown[] };
    };
    const handedOff = of('handed-off').find((e) => e['projector'] === d.name) as {
      handoff: string;
    };
    const seconds = total / caught.replayPerSecond;
    log(
      `(r) ${label} ${d.name} v${caught.version}: ${seconds.toFixed(2)} s replay (${caught.seconds.toFixed(2)} s with the group join) = ${caught.replayPerSecond} events/s; check ${verified.verification.mode} ${verified.verification.ok ? 'ok' : 'FAILED'}; handoff ${handedOff.handoff}`,
    );
    return {
      projector: d.name,
      version: caught.version,
      seconds,
      secondsWithJoin: caught.seconds,
      eventsPerSecond: caught.replayPerSecond,
      check: verified.verification,
      handoff: handedOff.handoff,
    };
  });
}
