/**
 * `npm run bench:rebuild`: a rebuild of the three read models from the same events (default
 * 120k: the projector benchmark's mix of all 12 types, ~10% redeliveries, out of order) while
 * the three projector services run on the live version and an analyst queries
 * `analytics.orders`:
 *   (a) the raw batched upsert loop (the projector benchmark's upper limit), events/s;
 *   (r) `novamed-stream rebuild all` in its own process, as operators run it (orders, then
 *       medication_requests, then refills, each checked and swapped; the three projector
 *       services follow): events/s over the replays (total messages / the sum of the three
 *       replay times, group joins left out as in (a)), and the wall time with checks and swaps.
 *       (Measured earlier: the three at once in one process are no faster, one event loop
 *       being the limit, and load the database more.)
 *   query latency on `analytics.orders` (a point lookup and a per-clinic count, one at a time
 *       every BENCH_QUERY_INTERVAL_MS, from a process of its own) during the rebuild against
 *       idle (measured before and after, pooled).
 * Targets: (r)/(a) >= 0.6; p99 during the rebuild <= 2x idle. Prints a table, writes
 * bench/results/rebuild.json. Uses KAFKA_BROKERS / DATABASE_URL when set, else a local stack.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ensureTopic } from '@novamed-stream/devstack';
import {
  dropVersion,
  ensureVersionTables,
  type ProjectorDefinition,
  type ProjectorService,
  readProjectorServiceEnv,
  runProjectorService,
} from '@novamed-stream/projection';
import { ALL_PROJECTORS } from '@novamed-stream/projectors';
import { generateEventMix, type MixMessage } from '@novamed-stream/testkit';
import { type Kafka, Partitioners } from 'kafkajs';
import pg from 'pg';
import { readBenchSettings } from '../read-bench-settings.js';
import { startBenchStack } from './bench-stack.js';
import { runRawUpsertLoop } from './raw-upsert-loop.js';
import { RebuildBenchSettings } from './rebuild-bench-settings.js';
import { RunClock } from './run-clock.js';

// Benchmark knobs (the entry point is the only place reading the environment).
const settings = readBenchSettings(RebuildBenchSettings, process.env);
const EVENTS = settings.BENCH_EVENTS;
const PARTITIONS = 6;
const IDLE_SECONDS = settings.BENCH_IDLE_SECONDS;
const QUERY_INTERVAL_MS = settings.BENCH_QUERY_INTERVAL_MS;
const RUN_TIMEOUT_MS = settings.BENCH_RUN_TIMEOUT_S * 1000;
/** `rebuild --concurrency` (unset: the CLI's default). */
const REBUILD_CONCURRENCY = settings.BENCH_REBUILD_CONCURRENCY;
const TARGETS = { ratio: 0.6, p99Factor: 2 };
const SLOW_MS = settings.BENCH_SLOW_QUERY_MS;
/** Rebuild phases with their time, to explain slow queries. */
const phases: Array<{ at: number; phase: string }> = [];
const FETCH = {
  maxBytesPerPartition: 4 * 1024 * 1024,
  maxBytes: 32 * 1024 * 1024,
  maxWaitTimeInMs: 100,
};
const RAW_VERSION = 101;
const resultsFile = fileURLToPath(new URL('../results/rebuild.json', import.meta.url));
const DEFINITIONS: readonly ProjectorDefinition[] = ALL_PROJECTORS;

const log = (line: string) => console.log(`[bench:rebuild] ${line}`);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

async function produce(kafka: Kafka, topic: string, messages: readonly MixMessage[]) {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 2000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Latency percentiles in ms. */
function percentiles(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    count: sorted.length,
    p50: round(at(0.5), 2),
    p95: round(at(0.95), 2),
    p99: round(at(0.99), 2),
    max: round(sorted[sorted.length - 1] ?? 0, 2),
  };
}

/**
 * An analyst on one connection: alternately a point lookup of an order and a per-clinic
 * status count on `analytics.orders`, one query at a time, `intervalMs` apart.
 */
class QueryLoop {
  /** Queries slower than SLOW_MS, with when they ended (to match with the rebuild's phases). */
  readonly slow: Array<{ at: number; ms: number; kind: string }> = [];
  readonly #client: pg.Client;
  #running = false;
  #loop: Promise<void> | undefined;
  #samples: number[] = [];
  #n = 0;

  constructor(
    databaseUrl: string,
    private readonly orderIds: readonly string[],
    private readonly clinics: readonly string[],
  ) {
    this.#client = new pg.Client({
      connectionString: databaseUrl,
      application_name: 'bench-analyst',
    });
  }

  async connect(): Promise<void> {
    await this.#client.connect();
  }

  /** Starts measuring into a fresh sample set. */
  start(): void {
    this.#samples = [];
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        const i = this.#n++;
        const started = performance.now();
        if (i % 2 === 0) {
          await this.#client.query('select * from analytics.orders where order_id = $1', [
            this.orderIds[(i * 7919) % this.orderIds.length],
          ]);
        } else {
          await this.#client.query(
            'select status, count(*) from analytics.orders where clinic_id = $1 group by status',
            [this.clinics[i % this.clinics.length]],
          );
        }
        const ms = performance.now() - started;
        this.#samples.push(ms);
        if (ms > SLOW_MS)
          this.slow.push({
            at: Date.now(),
            ms: round(ms, 1),
            kind: i % 2 === 0 ? 'lookup' : 'count',
          });
        await new Promise((r) => setTimeout(r, QUERY_INTERVAL_MS));
      }
    })();
  }

  /** Stops and returns the latencies measured since `start()`. */
  async stop(): Promise<number[]> {
    this.#running = false;
    await this.#loop;
    return this.#samples;
  }

  close(): Promise<void> {
    return this.#client.end();
  }
}

/** What the analyst child process is told (in BENCH_ANALYST). */
interface AnalystConfig {
  databaseUrl: string;
  runId: string;
  orders: number;
}

/** Messages from the analyst process. */
type AnalystReply =
  | { type: 'ready' }
  | { type: 'samples'; samples: number[]; slow: QueryLoop['slow'] };

/**
 * The analyst runs in a process of its own, as analysts do: measured in the rebuild's process,
 * a query's latency would include the rebuild's event-loop work (decoding a batch), not the
 * database's answer time.
 */
async function analystMain(): Promise<void> {
  // Set by the parent for this child (a message, not a knob): not part of the settings.
  const fromParent: Record<string, string | undefined> = process.env;
  const config = JSON.parse(fromParent['BENCH_ANALYST'] ?? '{}') as AnalystConfig;
  const orderIds = Array.from({ length: config.orders }, (_, j) => `ord_${config.runId}_${j}`);
  const clinics = Array.from({ length: 17 }, (_, j) => `clinic_${j}`);
  const loop = new QueryLoop(config.databaseUrl, orderIds, clinics);
  await loop.connect();
  const send = (reply: AnalystReply) => process.send?.(reply);
  process.on('message', (command: 'start' | 'stop' | 'exit') => {
    if (command === 'start') loop.start();
    if (command === 'stop') {
      void loop
        .stop()
        .then((samples) => send({ type: 'samples', samples, slow: loop.slow.splice(0) }));
    }
    if (command === 'exit') void loop.close().then(() => process.exit(0));
  });
  send({ type: 'ready' });
}

/** The parent's handle on the analyst process. */
class Analyst {
  readonly slow: QueryLoop['slow'] = [];
  readonly #child: ChildProcess;
  readonly #replies: AnalystReply[] = [];
  #waiting: (() => void) | undefined;

  constructor(config: AnalystConfig) {
    this.#child = fork(fileURLToPath(import.meta.url), ['analyst'], {
      execArgv: ['--import', import.meta.resolve('tsx'), '--conditions=source'],
      env: { ...process.env, BENCH_ANALYST: JSON.stringify(config) },
    });
    this.#child.on('message', (reply: AnalystReply) => {
      this.#replies.push(reply);
      this.#waiting?.();
    });
  }

  async #next(): Promise<AnalystReply> {
    while (this.#replies.length === 0) {
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
      });
    }
    return this.#replies.shift()!;
  }

  async ready(): Promise<void> {
    await this.#next();
  }

  start(): void {
    this.#child.send('start');
  }

  async stop(): Promise<number[]> {
    this.#child.send('stop');
    const reply = await this.#next();
    if (reply.type !== 'samples') throw new Error('analyst: unexpected reply');
    this.slow.push(...reply.slow);
    return reply.samples;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.send('exit');
    await exited;
  }
}

async function main(): Promise<void> {
  const runId = randomBytes(4).toString('hex');
  const cleanups: Array<() => Promise<unknown>> = [];
  // Ctrl-C still stops the servers this run started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void (async () => {
        for (const cleanup of cleanups) await cleanup().catch(() => undefined);
        process.exit(130);
      })();
    });
  }
  try {
    const { stack, databaseUrl, pool, db, kafka, topic } = await startBenchStack({
      name: 'rebuild',
      runId,
      partitions: PARTITIONS,
      cleanups,
      log,
    });
    await ensureTopic({ brokers: stack.kafkaBrokers, topic: `${topic}.dead`, partitions: 1 });
    const mix = generateEventMix({ runId, messages: EVENTS });
    const total = mix.messages.length;
    await produce(kafka, topic, mix.messages);
    const offsetsAdmin = kafka.admin();
    await offsetsAdmin.connect();
    const ends = new Map(
      (await offsetsAdmin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
    );
    await offsetsAdmin.disconnect();
    log(`produced ${total} messages to ${topic} (${mix.aggregates.order} orders)`);

    // (a) the raw batched upsert loop, into a throw-away version (dropped after).
    const measureRaw = async (sample: number) => {
      const version = RAW_VERSION + sample;
      for (const d of DEFINITIONS) await ensureVersionTables(db, d, version);
      const clock = new RunClock(stack.kafkaBrokers, `bench-raw-${sample}`, ends);
      const stats = await runRawUpsertLoop({
        clock,
        db: pool(`raw-${sample}`),
        topic,
        groupId: `bench-raw-${runId}-${sample}`,
        definitions: DEFINITIONS,
        version,
        consumer: FETCH,
        partitionsConcurrently: 3,
        timeoutMs: RUN_TIMEOUT_MS,
      });
      for (const d of DEFINITIONS) await dropVersion(db, d.name, version);
      const seconds = clock.seconds();
      log(
        `(a) raw loop #${sample}: ${total} events in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} events/s (${stats.batches} batches)`,
      );
      return { seconds: round(seconds, 2), eventsPerSecond: Math.round(total / seconds) };
    };
    const rawSamples = [await measureRaw(1)];

    // The live version v1 of each read model (a first rebuild), then the three services on it.
    // `novamed-stream rebuild all` as operators run it: its own process (at lower CPU priority),
    // NDJSON events on stdout. Its replay rate leaves the group join out, like the raw loop's.
    const cli = fileURLToPath(new URL('../../packages/cli/src/main.ts', import.meta.url));
    const rebuildAll = async (label: string) => {
      const started = performance.now();
      const child = spawn(
        process.execPath,
        [
          '--import',
          import.meta.resolve('tsx'),
          '--conditions=source',
          cli,
          'rebuild',
          'all',
          '--topic',
          topic,
          '--json',
          ...(REBUILD_CONCURRENCY === undefined
            ? []
            : ['--concurrency', String(REBUILD_CONCURRENCY)]),
        ],
        {
          env: {
            ...process.env,
            KAFKA_BROKERS: stack.kafkaBrokers.join(','),
            DATABASE_URL: databaseUrl,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const events: Array<Record<string, unknown>> = [];
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines.filter(Boolean)) {
          const event = JSON.parse(line) as Record<string, unknown>;
          events.push(event);
          if (event['type'] !== 'progress') {
            phases.push({
              at: Date.now(),
              phase: `${label} ${event['projector'] ?? ''} ${event['type']}`,
            });
          }
        }
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      if (code !== 0) throw new Error(`${label}: rebuild all exited ${code}`);
      const of = (type: string) => events.filter((e) => e['type'] === type);
      const outcomes = DEFINITIONS.map((d) => {
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
      return {
        outcomes,
        replaySeconds: outcomes.reduce((n, o) => n + o.seconds, 0),
        wallSeconds: (performance.now() - started) / 1000,
      };
    };
    const initial = await rebuildAll('initial');

    const services: ProjectorService[] = [];
    cleanups.unshift(() => Promise.all(services.map((s) => s.stop())));
    for (const definition of DEFINITIONS) {
      services.push(
        await runProjectorService(
          definition,
          readProjectorServiceEnv(
            {
              KAFKA_BROKERS: stack.kafkaBrokers.join(','),
              DATABASE_URL: databaseUrl,
              EVENTS_TOPIC: topic,
              DEAD_LETTER_TOPIC: `${topic}.dead`,
              HEALTH_HOST: '127.0.0.1',
              VERSION_POLL_MS: '1000',
              LOG_LEVEL: 'silent',
            },
            { HEALTH_PORT: 0 },
          ),
        ),
      );
    }
    log(`three projector services running on v${services.map((s) => s.version).join('/v')}`);

    // Query latency: idle before, during the rebuild, idle after.
    const analyst = new Analyst({ databaseUrl, runId, orders: mix.aggregates.order });
    await analyst.ready();
    cleanups.unshift(() => analyst.close());
    analyst.start();
    await new Promise((r) => setTimeout(r, 2000)); // warm-up
    await analyst.stop();
    // Idle is pooled from before and after: the machine's background load drifts over minutes,
    // and one window's p99 is only its few slowest queries.
    const idleSamples: number[] = [];
    const measureIdle = async () => {
      analyst.start();
      await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
      const samples = await analyst.stop();
      idleSamples.push(...samples);
      const window = percentiles(samples);
      log(`idle: ${window.count} queries, p50 ${window.p50} ms, p99 ${window.p99} ms`);
      return window;
    };
    const idleBefore = await measureIdle();
    analyst.start();
    const rebuild = await rebuildAll('rebuild');
    const during = percentiles(await analyst.stop());
    log(`during the rebuild: ${during.count} queries, p50 ${during.p50} ms, p99 ${during.p99} ms`);
    for (const q of analyst.slow) {
      const before = phases.filter((p) => p.at <= q.at).at(-1);
      log(
        `  slow ${q.kind} ${q.ms} ms${before ? ` ${q.at - before.at} ms after "${before.phase}"` : ''}`,
      );
    }
    const deadline = Date.now() + 15_000;
    while (services.some((s) => s.version !== 2) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const followed = services.map((s) => s.version);
    log(`services now on v${followed.join('/v')}`);
    const idleAfter = await measureIdle();
    const idle = percentiles(idleSamples);

    rawSamples.push(await measureRaw(2));
    const raw = rawSamples.reduce((x, y) => (y.eventsPerSecond > x.eventsPerSecond ? y : x));
    const eventsPerSecond = Math.round(total / rebuild.replaySeconds);
    const ratio = round(eventsPerSecond / raw.eventsPerSecond, 2);
    const p99Factor = round(during.p99 / Math.max(idle.p99, 0.01), 2);

    console.log('');
    console.log(['run', 'events/s', 'vs raw', 'time', 'note'].join(' | '));
    console.log(
      [
        '(a) raw batched upsert loop, 3 models',
        raw.eventsPerSecond,
        1,
        `${raw.seconds} s`,
        `best of ${rawSamples.map((x) => x.eventsPerSecond).join(', ')}`,
      ].join(' | '),
    );
    for (const o of rebuild.outcomes) {
      console.log(
        [
          `(r) rebuild ${o.projector} v${o.version}`,
          o.eventsPerSecond,
          round(o.eventsPerSecond / raw.eventsPerSecond, 2),
          `${round(o.seconds, 2)} s`,
          `check ${o.check.mode} ${o.check.ok ? 'ok' : 'FAILED'}, handoff ${o.handoff}`,
        ].join(' | '),
      );
    }
    console.log(
      [
        '(r) rebuild all (one after the other)',
        eventsPerSecond,
        ratio,
        `${round(rebuild.replaySeconds, 2)} s`,
        `wall incl. joins, checks, swaps, handoffs ${round(rebuild.wallSeconds, 1)} s`,
      ].join(' | '),
    );
    console.log('');
    console.log(
      `rebuild all / raw loop: ${ratio} (target >= ${TARGETS.ratio}: ${ratio >= TARGETS.ratio ? 'OK' : 'MISSED'})`,
    );
    console.log(
      `analytics.orders p99: idle ${idle.p99} ms (before ${idleBefore.p99}, after ${idleAfter.p99}), during the rebuild ${during.p99} ms = ${p99Factor}x (target <= ${TARGETS.p99Factor}x: ${p99Factor <= TARGETS.p99Factor ? 'OK' : 'MISSED'}); p50 ${idle.p50} -> ${during.p50} ms`,
    );

    await mkdir(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
    await writeFile(
      resultsFile,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: {
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model ?? 'unknown',
            node: process.version,
            loadAverage: loadavg().map((l) => round(l, 1)),
          },
          events: total,
          partitions: PARTITIONS,
          settings: {
            queryIntervalMs: QUERY_INTERVAL_MS,
            idleSeconds: IDLE_SECONDS,
            rebuildConcurrency: REBUILD_CONCURRENCY ?? 2,
          },
          raw: { samples: rawSamples, best: raw },
          initialBuild: initial.outcomes.map((o) => ({
            projector: o.projector,
            seconds: round(o.seconds, 2),
            eventsPerSecond: o.eventsPerSecond,
          })),
          rebuild: {
            outcomes: rebuild.outcomes.map((o) => ({
              ...o,
              seconds: round(o.seconds, 2),
              ratioVsRaw: round(o.eventsPerSecond / raw.eventsPerSecond, 2),
            })),
            replaySeconds: round(rebuild.replaySeconds, 2),
            wallSeconds: round(rebuild.wallSeconds, 2),
            eventsPerSecond,
          },
          servicesFollowedTo: followed,
          queries: { idle, idleBefore, idleAfter, duringRebuild: during },
          slowQueries: analyst.slow,
          phases,
          ratios: { rebuildVsRaw: ratio, p99DuringVsIdle: p99Factor },
          met: { ratio: ratio >= TARGETS.ratio, p99: p99Factor <= TARGETS.p99Factor },
          targets: TARGETS,
        },
        null,
        2,
      )}\n`,
    );
    log(`wrote ${resultsFile}`);
  } finally {
    for (const cleanup of cleanups)
      await cleanup().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
  }
}

if (process.argv[2] === 'analyst') await analystMain();
else await main();
