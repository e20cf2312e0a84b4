/**
 * `npm run bench:rebuild`: a rebuild of the three read models from the same events (default
 * 120k: the projector benchmark's mix of all 12 types, ~10% redeliveries, out of order) while
 * the three projector services run on the live version and an analyst queries
 * `analytics.orders`:
 *   (a) the raw batched upsert loop (the projector benchmark's upper limit), events/s;
 *   (r) `rebuildProjection` of orders, medication_requests and refills one after the other (what
 *       `novamed-stream rebuild all` does), events/s over the replays (total messages / the sum
 *       of the three replay times), and the time to check and swap;
 *   query latency on `analytics.orders` (a point lookup and a per-clinic count, one at a time
 *       every BENCH_QUERY_INTERVAL_MS) while idle against during the rebuild.
 * Targets: (r)/(a) >= 0.6; p99 during the rebuild <= 2x idle. Prints a table, writes
 * bench/results/rebuild.json. Uses KAFKA_BROKERS / DATABASE_URL when set, else a local stack.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import { ensureTopic, startStack } from '@novamed-stream/devstack';
import {
  dropVersion,
  ensureVersionTables,
  type ProjectorDefinition,
  type ProjectorService,
  readProjectorServiceEnv,
  rebuildProjection,
  runProjectorService,
} from '@novamed-stream/projection';
import { PROJECTORS } from '@novamed-stream/projectors';
import type { AggregateState } from '@novamed-stream/read-models';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { generateEventMix, type MixMessage } from './event-mix.js';
import { runRawUpsertLoop } from './raw-upsert-loop.js';
import { RunClock } from './run-clock.js';

// Benchmark knobs (the entry point is the only place reading the environment).
const env: Record<string, string | undefined> = process.env;
const num = (name: string, fallback: number) => Number(env[name] ?? fallback);
const EVENTS = num('BENCH_EVENTS', 120_000);
const PARTITIONS = 6;
const IDLE_SECONDS = num('BENCH_IDLE_SECONDS', 15);
const QUERY_INTERVAL_MS = num('BENCH_QUERY_INTERVAL_MS', 20);
const RUN_TIMEOUT_MS = num('BENCH_RUN_TIMEOUT_S', 600) * 1000;
const REBUILD_PARTITIONS_CONCURRENTLY = env['BENCH_REBUILD_PARTITIONS_CONCURRENTLY']
  ? Number(env['BENCH_REBUILD_PARTITIONS_CONCURRENTLY'])
  : undefined;
const TARGETS = { ratio: 0.6, p99Factor: 2 };
const SLOW_MS = num('BENCH_SLOW_QUERY_MS', 50);
/** Rebuild phases with their time, to explain slow queries. */
const phases: Array<{ at: number; phase: string }> = [];
const FETCH = {
  maxBytesPerPartition: 4 * 1024 * 1024,
  maxBytes: 32 * 1024 * 1024,
  maxWaitTimeInMs: 100,
};
const RAW_VERSION = 101;
const resultsFile = fileURLToPath(new URL('../results/rebuild.json', import.meta.url));
const DEFINITIONS = Object.values(PROJECTORS) as unknown as ProjectorDefinition<AggregateState>[];

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
  const config = JSON.parse(env['BENCH_ANALYST'] ?? '{}') as AnalystConfig;
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
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-rebuild-'));
  await chmod(dataDir, 0o755); // the embedded Postgres runs as `postgres` when we are root
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  try {
    log(
      `starting the stack (${env['KAFKA_BROKERS'] ? 'KAFKA_BROKERS' : 'local Kafka'}, ${env['DATABASE_URL'] ? 'DATABASE_URL' : 'local Postgres'})`,
    );
    const stack = await startStack({
      dataDir,
      kafkaBrokers: env['KAFKA_BROKERS']?.split(',').map((b) => b.trim()),
      databaseUrl: env['DATABASE_URL'],
      kafkaHeap: { initial: '512m', max: '1g' },
      log: () => {},
    });
    cleanups.unshift(() => stack.stop());

    const database = `bench_rebuild_${runId}`;
    const admin = new pg.Client({ connectionString: stack.databaseUrl });
    await admin.connect();
    await admin.query(`create database ${database}`);
    await admin.end();
    cleanups.unshift(async () => {
      const c = new pg.Client({ connectionString: stack.databaseUrl });
      await c.connect();
      await c.query(`drop database if exists ${database} with (force)`);
      await c.end();
    });
    const url = new URL(stack.databaseUrl);
    url.pathname = `/${database}`;
    const databaseUrl = url.toString();
    const pools: Array<Kysely<Database>> = [];
    const pool = (name: string) => {
      const db = createDb({ connectionString: databaseUrl, applicationName: `bench-${name}` });
      pools.push(db);
      return db;
    };
    cleanups.unshift(() => Promise.all(pools.map((p) => p.destroy())));
    const db = pool('setup');
    const migrated = await migrateToLatest(db);
    if (!migrated.ok) throw migrated.error;

    const kafka = new Kafka({
      clientId: 'bench-rebuild',
      brokers: stack.kafkaBrokers,
      logLevel: logLevel.ERROR,
    });
    const topic = `bench.rebuild.${runId}`;
    await ensureTopic({ brokers: stack.kafkaBrokers, topic, partitions: PARTITIONS });
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
    // Timed like the raw loop (RunClock): from the first batch to caught up, so the group join
    // is left out; the outcome's own `seconds` (join included) is what the CLI shows.
    // Timed like the raw loop (RunClock): from the first batch to caught up, so the group join
    // is left out; the outcome's own `seconds` (join included) is what the CLI shows.
    // Sequential: one read model after the other; parallel: the three at once.
    const rebuildOne = async (label: string, definition: ProjectorDefinition<AggregateState>) => {
      const clock = new RunClock(stack.kafkaBrokers, `bench-${label}-${definition.name}`, ends);
      const outcome = await rebuildProjection({
        definition,
        kafka: clock.kafka,
        db: pool(`${label}-${definition.name}`),
        topic,
        onEvent: (event) => {
          if (event.type === 'caught-up') clock.finish();
          if (event.type !== 'progress')
            phases.push({ at: Date.now(), phase: `${label} ${definition.name} ${event.type}` });
        },
        ...(REBUILD_PARTITIONS_CONCURRENTLY === undefined
          ? {}
          : { partitionsConcurrently: REBUILD_PARTITIONS_CONCURRENTLY }),
      });
      if (!outcome.ok) throw new Error(`${label} ${definition.name}: ${JSON.stringify(outcome)}`);
      const seconds = clock.seconds();
      log(
        `(r) ${label} ${definition.name} v${outcome.version}: ${seconds.toFixed(2)} s replay (${outcome.seconds.toFixed(2)} s with the group join) = ${Math.round(total / seconds)} events/s; check ${outcome.verification.mode} ${outcome.verification.ok ? 'ok' : 'FAILED'}; handoff ${outcome.handoff}`,
      );
      return { outcome, seconds, clock };
    };
    const rebuildAll = async (label: string, parallel = false) => {
      const started = performance.now();
      const outcomes = [];
      if (parallel)
        outcomes.push(...(await Promise.all(DEFINITIONS.map((d) => rebuildOne(label, d)))));
      else for (const d of DEFINITIONS) outcomes.push(await rebuildOne(label, d));
      const replaySeconds = parallel
        ? RunClock.spanSeconds(outcomes.map((o) => o.clock))
        : outcomes.reduce((n, o) => n + o.seconds, 0);
      return { outcomes, replaySeconds, wallSeconds: (performance.now() - started) / 1000 };
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

    // Query latency: idle, then during each rebuild (one after the other, then the three at once).
    const analyst = new Analyst({ databaseUrl, runId, orders: mix.aggregates.order });
    await analyst.ready();
    cleanups.unshift(() => analyst.close());
    analyst.start();
    await new Promise((r) => setTimeout(r, 2000)); // warm-up
    await analyst.stop();
    analyst.start();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const idle = percentiles(await analyst.stop());
    log(`idle: ${idle.count} queries, p50 ${idle.p50} ms, p99 ${idle.p99} ms`);

    const measureRebuild = async (label: string, parallel: boolean, version: number) => {
      const slowBefore = analyst.slow.length;
      analyst.start();
      const rebuild = await rebuildAll(label, parallel);
      const during = percentiles(await analyst.stop());
      log(`during ${label}: ${during.count} queries, p50 ${during.p50} ms, p99 ${during.p99} ms`);
      const slow = analyst.slow.slice(slowBefore);
      for (const q of slow) {
        const before = phases.filter((p) => p.at <= q.at).at(-1);
        log(
          `  slow ${q.kind} ${q.ms} ms${before ? ` ${q.at - before.at} ms after "${before.phase}"` : ''}`,
        );
      }
      const deadline = Date.now() + 15_000;
      while (services.some((s) => s.version !== version) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const followed = services.map((s) => s.version);
      log(`services now on v${followed.join('/v')}`);
      return { label, parallel, rebuild, during, followed, slow };
    };
    const sequential = await measureRebuild('sequential', false, 2);
    const parallel = await measureRebuild('parallel', true, 3);

    rawSamples.push(await measureRaw(2));
    const raw = rawSamples.reduce((x, y) => (y.eventsPerSecond > x.eventsPerSecond ? y : x));
    const summary = (m: typeof sequential) => {
      const eventsPerSecond = Math.round(total / m.rebuild.replaySeconds);
      const ratio = round(eventsPerSecond / raw.eventsPerSecond, 2);
      const p99Factor = round(m.during.p99 / Math.max(idle.p99, 0.01), 2);
      return {
        mode: m.label,
        replaySeconds: round(m.rebuild.replaySeconds, 2),
        wallSeconds: round(m.rebuild.wallSeconds, 2),
        eventsPerSecond,
        ratioVsRaw: ratio,
        queries: m.during,
        p99VsIdle: p99Factor,
        met: { ratio: ratio >= TARGETS.ratio, p99: p99Factor <= TARGETS.p99Factor },
        servicesFollowedTo: m.followed,
        slowQueries: m.slow,
        outcomes: m.rebuild.outcomes.map(({ outcome: o, seconds }) => ({
          projector: o.projector,
          version: o.version,
          seconds: round(seconds, 2),
          secondsWithJoin: round(o.seconds, 2),
          eventsPerSecond: Math.round(total / seconds),
          ratioVsRaw: round(total / seconds / raw.eventsPerSecond, 2),
          check: {
            mode: o.verification.mode,
            ok: o.verification.ok,
            checks: o.verification.checks,
          },
          handoff: o.handoff,
        })),
      };
    };
    const results = [summary(sequential), summary(parallel)];

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
    for (const r of results) {
      for (const o of r.outcomes) {
        console.log(
          [
            `(r) ${r.mode}: ${o.projector} v${o.version}`,
            o.eventsPerSecond,
            o.ratioVsRaw,
            `${o.seconds} s`,
            `check ${o.check.mode} ${o.check.ok ? 'ok' : 'FAILED'}, handoff ${o.handoff}`,
          ].join(' | '),
        );
      }
      console.log(
        [
          `(r) ${r.mode}: all three`,
          r.eventsPerSecond,
          r.ratioVsRaw,
          `${r.replaySeconds} s`,
          `wall incl. checks and swaps ${r.wallSeconds} s`,
        ].join(' | '),
      );
    }
    console.log('');
    console.log(
      `analytics.orders, idle: p50 ${idle.p50} ms, p99 ${idle.p99} ms (${idle.count} queries)`,
    );
    for (const r of results) {
      console.log(
        `${r.mode} rebuild: ${r.ratioVsRaw} of the raw loop (target >= ${TARGETS.ratio}: ${r.met.ratio ? 'OK' : 'MISSED'}); analytics.orders p50 ${r.queries.p50} ms, p99 ${r.queries.p99} ms = ${r.p99VsIdle}x idle (target <= ${TARGETS.p99Factor}x: ${r.met.p99 ? 'OK' : 'MISSED'})`,
      );
    }

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
            rebuildPartitionsConcurrently: REBUILD_PARTITIONS_CONCURRENTLY ?? 3,
          },
          raw: { samples: rawSamples, best: raw },
          initialBuild: initial.outcomes.map(({ outcome: o, seconds }) => ({
            projector: o.ok ? o.projector : '?',
            seconds: round(seconds, 2),
            eventsPerSecond: Math.round(total / seconds),
          })),
          queriesIdle: idle,
          rebuilds: results,
          phases,
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
