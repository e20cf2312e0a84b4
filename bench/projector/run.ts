/**
 * `npm run bench:projector`: one run, the same events (default 120k: orders, medication
 * requests and refills, all 12 types, ~10% redeliveries, out-of-order within aggregates)
 * produced once to a fresh 6-partition topic, then events/s of
 *   (a) a raw batched upsert loop (plain consumer, the runtime's fetch sizes; per batch one
 *       history insert + one state upsert per read model, states folded in memory): the limit,
 *   (b) a naive eachMessage projector (one small transaction per event), over a subset,
 *   (c) the runtime (`createProjector`) replaying from offset 0, one process per projector
 *       (projector-child.ts, as the services run): each alone, then the three together;
 *       (a) and (c)-together are sampled BENCH_REPEAT times, interleaved, best of each kept,
 * each into fresh version schemas and checked to produce identical rows; then the freshness
 * (ingress 200 -> row visible) at a steady rate through the real ingress process, for order
 * webhooks with the orders projector, and for the full mix with all three projectors.
 * Every figure comes with the CPU used by each process and by the rest of the machine
 * ("others"): on a shared machine a slow run usually means a busy neighbour.
 * Prints a table, writes bench/results/projector.json. Uses KAFKA_BROKERS / DATABASE_URL when
 * set, otherwise starts a local stack.
 *
 * Knobs (environment): BENCH_EVENTS, BENCH_REPEAT, BENCH_NAIVE_EVENTS, BENCH_NAIVE_SECONDS,
 * BENCH_FRESH_RATE, BENCH_FRESH_SECONDS, BENCH_QUIET_WAIT_S, BENCH_SKIP (a,b,c1,c3,fresh,
 * fresh-orders,fresh-all), BENCH_INPROCESS=1 (also the three projectors in one process), and
 * experiments on the runtime without editing it: BENCH_MAX_BYTES_PER_PARTITION,
 * BENCH_PARTITIONS_CONCURRENTLY, BENCH_CONSUMER_OVERRIDES (JSON), BENCH_COMMIT_EVERY_MS,
 * BENCH_CPU_PROFILE_DIR (V8 profiles of the projector processes); OFFSET_COMMIT_INTERVAL_MS is
 * passed to the projectors as the services take it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '@novamed-stream/db';
import { ensureTopic } from '@novamed-stream/devstack';
import type { AggregateKind } from '@novamed-stream/events';
import { ensureVersionTables, type ProjectorDefinition } from '@novamed-stream/projection';
import { ALL_PROJECTORS, PROJECTORS, type ProjectorName } from '@novamed-stream/projectors';
import type { AggregateState } from '@novamed-stream/read-models';
import { generateEventMix, type MixMessage } from '@novamed-stream/testkit';
import { type Kafka, Partitioners } from 'kafkajs';
import { type Kysely, sql } from 'kysely';
import { readBenchSettings } from '../read-bench-settings.js';
import { startBenchStack } from './bench-stack.js';
import { type CpuGroup, CpuWindow, waitForQuiet } from './cpu-sampler.js';
import { type FreshnessScenarioResult, runFreshnessScenario } from './freshness-scenario.js';
import { runNaiveProjector } from './naive-projector.js';
import { checkRowsWithOracle } from './oracle-check.js';
import { ProjectorBenchSettings, projectorExperiment } from './projector-bench-settings.js';
import type { ChildStats } from './projector-child.js';
import { ProjectorProcess, spanSeconds } from './projector-processes.js';
import { type ReplayStats, replayProjectors } from './projector-replay.js';
import { runRawUpsertLoop } from './raw-upsert-loop.js';
import { RunClock } from './run-clock.js';
import { startWebhookSender } from './webhook-sender.js';

// Benchmark knobs (the entry point is the only place reading the environment).
const settings = readBenchSettings(ProjectorBenchSettings, process.env);
const EVENTS = settings.BENCH_EVENTS;
const PARTITIONS = 6;
const NAIVE_MAX_MESSAGES = settings.BENCH_NAIVE_EVENTS;
const NAIVE_MAX_SECONDS = settings.BENCH_NAIVE_SECONDS;
const FRESH_RATE = settings.BENCH_FRESH_RATE;
const FRESH_SECONDS = settings.BENCH_FRESH_SECONDS;
const RUN_TIMEOUT_MS = settings.BENCH_RUN_TIMEOUT_S * 1000;
/** createProjector knobs to try (unset: the runtime's defaults). */
const MAX_BYTES_PER_PARTITION = settings.BENCH_MAX_BYTES_PER_PARTITION;
const PARTITIONS_CONCURRENTLY = settings.BENCH_PARTITIONS_CONCURRENTLY;
/** Experiments in the projector processes, see ChildConfig['experiment']. */
const EXPERIMENT = projectorExperiment(settings);
/** Samples of (a) and of (c) together, interleaved; the best of each is compared. */
const REPEAT = settings.BENCH_REPEAT;
/** Before each phase, wait up to this long for other processes to use < 0.3 cores. */
const QUIET_WAIT_MS = settings.BENCH_QUIET_WAIT_S * 1000;
/** Write a V8 CPU profile of each projector process into this folder. */
const CPU_PROFILE_DIR = settings.BENCH_CPU_PROFILE_DIR;
/** Comma-separated phases to skip: a, b, c1 (each alone), c3 (together), fresh[-orders|-all]. */
const SKIP = new Set<string>(settings.BENCH_SKIP ?? []);
const TARGETS = { ca: 0.6, cb: 10, freshnessP99Ms: 250 };
/** The runtime's fetch settings (createProjector), used by the raw loop too. */
const FETCH = {
  maxBytesPerPartition: MAX_BYTES_PER_PARTITION ?? 4 * 1024 * 1024,
  maxBytes: 32 * 1024 * 1024,
  maxWaitTimeInMs: 100,
};
const RUNTIME_PARTITIONS_CONCURRENTLY = PARTITIONS_CONCURRENTLY ?? 3;
const resultsFile = fileURLToPath(new URL('../results/projector.json', import.meta.url));
const DEFINITIONS: readonly ProjectorDefinition[] = ALL_PROJECTORS;
const VERSIONS = { a: 101, b: 201, c1: 301, c3: 401, c3in: 451, fresh: 501, freshAll: 511 };

interface Row {
  name: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Every message read (other aggregates' included) per second. */
  messagesPerSecond: number;
  /** Cores used during the measured window: this process, Kafka, Postgres, whole machine. */
  cores: Record<string, number>;
  /** 1-minute load average at the end (the machine may be shared). */
  loadAverage: number;
  /**
   * Events per CPU-second of the processes doing the work (projector or bench process, Kafka,
   * Postgres): what the variant costs, much less sensitive than events/s to whatever else
   * the machine runs.
   */
  eventsPerCoreSecond: number;
  note: string;
}

const log = (line: string) => console.log(`[bench] ${line}`);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

async function produce(
  kafka: Kafka,
  topic: string,
  messages: readonly MixMessage[],
): Promise<number> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const started = performance.now();
  try {
    for (let i = 0; i < messages.length; i += 2000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
    }
  } finally {
    await producer.disconnect();
  }
  return (performance.now() - started) / 1000;
}

async function topicEnds(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
  } finally {
    await admin.disconnect();
  }
}

async function createVersions(db: Kysely<Database>, version: number, definitions = DEFINITIONS) {
  for (const definition of definitions) await ensureVersionTables(db, definition, version);
}

/** Row count, events_applied sum and a digest of every state row of one version. */
async function digest(
  db: Kysely<Database>,
  definition: ProjectorDefinition<AggregateState>,
  version: number,
) {
  const schema = `${definition.name}_v${version}`;
  const { table } = definition;
  const columns = [table.idColumn, ...table.columns.map((c) => c.name), 'events_applied'];
  const row = sql.join(
    columns.map((c) => sql`coalesce(${sql.ref(c)}::text, '~')`),
    sql` || '|' || `,
  );
  const result = await sql<{
    rows: string;
    applied: string | null;
    md5: string | null;
    history: string;
  }>`
    select count(*)::text as rows, sum(events_applied)::text as applied,
           md5(string_agg(${row}, ',' order by ${sql.ref(table.idColumn)})) as md5,
           (select count(*)::text from ${sql.table(`${schema}.${table.eventsTable}`)}) as history
    from ${sql.table(`${schema}.${table.stateTable}`)}`.execute(db);
  const r = result.rows[0]!;
  return {
    rows: Number(r.rows),
    applied: Number(r.applied ?? 0),
    history: Number(r.history),
    md5: r.md5 ?? '',
  };
}

function kindOf(definition: ProjectorDefinition<AggregateState>): AggregateKind {
  return definition.readModel.aggregate;
}

async function main(): Promise<void> {
  const runId = randomBytes(4).toString('hex');
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const { stack, databaseUrl, pool, db, kafka, topic } = await startBenchStack({
      name: 'projector',
      runId,
      partitions: PARTITIONS,
      cleanups,
      log,
    });
    const mix = generateEventMix({ runId, messages: EVENTS });
    const total = mix.messages.length;
    const bytes = mix.messages.reduce((n, m) => n + m.value.length, 0);
    log(
      `generated ${total} messages (${Math.round(bytes / total)} B avg): ` +
        Object.entries(mix.delivered)
          .map(
            ([k, v]) =>
              `${k} ${v} (${mix.distinct[k as AggregateKind]} distinct, ${mix.aggregates[k as AggregateKind]} aggregates)`,
          )
          .join(', '),
    );
    const produceSeconds = await produce(kafka, topic, mix.messages);
    const ends = await topicEnds(kafka, topic);
    log(
      `produced to ${topic} in ${produceSeconds.toFixed(1)} s; ends ${[...ends.values()].join(', ')}`,
    );

    const rows: Row[] = [];
    const details: Record<string, unknown> = {};
    const cpuGroups: CpuGroup[] = [
      { name: 'bench', pid: process.pid, descendants: false },
      { name: 'kafka', pid: stack.kafka?.pid, descendants: true },
      { name: 'postgres', pid: stack.postgres?.pid, descendants: true },
    ];
    /** Waits for the machine to be quiet enough to measure (see QUIET_WAIT_MS). */
    const settle = async (phase: string) => {
      const quiet = await waitForQuiet(cpuGroups, 0.3, QUIET_WAIT_MS);
      details[`quiet_${phase}`] = quiet;
      if (quiet.waitedMs > 1500 || quiet.otherCores >= 0.3) {
        log(
          `${phase}: waited ${(quiet.waitedMs / 1000).toFixed(0)} s for other processes (now ${quiet.otherCores} cores)`,
        );
      }
    };
    const row = async (
      name: string,
      events: number,
      messages: number,
      seconds: number,
      cpu: CpuWindow,
      note: string,
    ) => {
      const r: Row = {
        name,
        events,
        seconds: round(seconds, 2),
        eventsPerSecond: round(events / seconds),
        messagesPerSecond: round(messages / seconds),
        cores: cpu.cores(),
        loadAverage: round(loadavg()[0] ?? 0, 1),
        eventsPerCoreSecond: 0,
        note,
      };
      r.eventsPerCoreSecond = round(events / (seconds * ourCores(r.cores)));
      log(
        `${name}: ${events} events in ${seconds.toFixed(2)} s = ${r.eventsPerSecond} events/s ${note} cores ${JSON.stringify(r.cores)}`,
      );
      return r;
    };

    // (a) the upper limit.
    const measureRaw = async (version: number, sample: number) => {
      await settle(`a#${sample}`);
      await createVersions(db, version);
      const cpu = new CpuWindow(cpuGroups);
      const clock = new RunClock(stack.kafkaBrokers, 'bench-raw', ends, cpu);
      const stats = await runRawUpsertLoop({
        clock,
        db: pool(`raw-${sample}`),
        topic,
        groupId: `bench-raw-${runId}-${sample}`,
        definitions: DEFINITIONS,
        version,
        consumer: FETCH,
        partitionsConcurrently: RUNTIME_PARTITIONS_CONCURRENTLY,
        timeoutMs: RUN_TIMEOUT_MS,
      });
      details[`a#${sample}`] = { ...stats, wallSeconds: round(clock.wallSeconds(), 2) };
      return row(
        '(a) raw batched upsert, 3 models',
        total,
        total,
        clock.seconds(),
        cpu,
        `(#${sample}: ${stats.batches} batches, avg ${Math.round(stats.messages / stats.batches)} msgs)`,
      );
    };
    const aSamples: Row[] = [];
    if (!SKIP.has('a')) aSamples.push(await measureRaw(VERSIONS.a, 1));

    // (b) naive eachMessage, over a subset.
    let b: Row | undefined;
    if (!SKIP.has('b')) {
      await settle('b');
      await createVersions(db, VERSIONS.b);
      const cpu = new CpuWindow(cpuGroups);
      const clock = new RunClock(stack.kafkaBrokers, 'bench-naive', ends, cpu);
      const stats = await runNaiveProjector({
        clock,
        db: pool('naive'),
        topic,
        groupId: `bench-naive-${runId}`,
        definitions: DEFINITIONS,
        version: VERSIONS.b,
        partitionsConcurrently: RUNTIME_PARTITIONS_CONCURRENTLY,
        maxMessages: NAIVE_MAX_MESSAGES,
        maxSeconds: NAIVE_MAX_SECONDS,
      });
      b = await row(
        '(b) naive eachMessage, 3 models',
        stats.messages,
        stats.messages,
        stats.seconds,
        cpu,
        `(subset: first ${stats.messages} of ${total}, stopped at ${NAIVE_MAX_MESSAGES} msgs or ${NAIVE_MAX_SECONDS} s)`,
      );
      details['b'] = stats;
      rows.push(b);
    }

    const knobs = {
      maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
      partitionsConcurrently: PARTITIONS_CONCURRENTLY,
    };
    const describe = (s: ChildStats | ReplayStats) => {
      const seconds = 'batchSeconds' in s ? s.batchSeconds : s.applySeconds;
      return `(${s.batches} batches, avg ${Math.round(s.messages / Math.max(1, s.batches))} msgs, ${seconds.toFixed(1)} s in batches, applied ${s.applied}, duplicates ${s.duplicates}${s.databaseRetries > 0 ? `, ${s.databaseRetries} DB RETRIES` : ''})`;
    };
    /** Replays in one process per projector (as the services run); resolves when all are done. */
    const replayInProcesses = async (
      definitions: typeof DEFINITIONS,
      version: number,
      label: string,
    ) => {
      await createVersions(db, version, definitions);
      await settle(`${label}:${definitions.map((d) => d.name).join('+')}`);
      const cpu = new CpuWindow(cpuGroups, definitions.length);
      const processes = definitions.map((definition) =>
        ProjectorProcess.spawn(
          {
            projector: definition.name as ProjectorName,
            version,
            brokers: stack.kafkaBrokers,
            databaseUrl,
            topic,
            groupId: `bench-${definition.name}-v${version}-${runId}`,
            ends: [...ends],
            ...knobs,
            experiment: EXPERIMENT,
          },
          { started: () => cpu.started(), done: () => cpu.finished() },
          CPU_PROFILE_DIR,
        ),
      );
      cpu.add(
        processes.map((p) => ({ name: `projector:${p.name}`, pid: p.pid, descendants: false })),
      );
      try {
        await Promise.all(processes.map((p) => p.ready()));
        await Promise.all(processes.map((p) => p.untilDone(RUN_TIMEOUT_MS)));
      } finally {
        const stats = await Promise.all(processes.map((p) => p.stop()));
        for (const [i, p] of processes.entries()) {
          const s = stats[i];
          const seconds = ((p.doneAt ?? Number.NaN) - (p.startedAt ?? Number.NaN)) / 1000;
          if (s) log(`  ${p.name} ${label}: ${seconds.toFixed(2)} s ${describe(s)}`);
          details[`${label}_${p.name}`] = { ...s, seconds: round(seconds, 2) };
        }
      }
      return { cpu, seconds: spanSeconds(processes) };
    };

    // (c) the runtime, each projector alone, in its own process.
    const c1: Record<string, Row> = {};
    if (!SKIP.has('c1')) {
      for (const definition of DEFINITIONS) {
        const { cpu, seconds } = await replayInProcesses([definition], VERSIONS.c1, 'alone');
        c1[definition.name] = await row(
          `(c) createProjector ${definition.name} alone`,
          mix.delivered[kindOf(definition)],
          total,
          seconds,
          cpu,
          '(own process)',
        );
        rows.push(c1[definition.name]!);
      }
    }

    // (c) the three together, one process each (as the three services run); then again,
    // interleaved with (a): on a shared machine the best of the samples is the least disturbed.
    const measureTogether = async (version: number, sample: number) => {
      const { cpu, seconds } = await replayInProcesses(DEFINITIONS, version, `together#${sample}`);
      return row(
        '(c) createProjector x3 together',
        total,
        total * 3,
        seconds,
        cpu,
        `(#${sample}: three processes, three groups, each reads every message)`,
      );
    };
    const cSamples: Row[] = [];
    if (!SKIP.has('c3')) cSamples.push(await measureTogether(VERSIONS.c3, 1));
    for (let sample = 2; sample <= REPEAT; sample++) {
      if (!SKIP.has('a')) aSamples.push(await measureRaw(VERSIONS.a + sample - 1, sample));
      if (!SKIP.has('c3')) cSamples.push(await measureTogether(VERSIONS.c3 + sample - 1, sample));
    }
    const best = (samples: Row[]) =>
      samples.reduce<Row | undefined>(
        (x, y) => (x === undefined || y.eventsPerSecond > x.eventsPerSecond ? y : x),
        undefined,
      );
    const a = best(aSamples);
    const c3 = best(cSamples);
    details['samples'] = { a: aSamples, c3: cSamples };
    if (a)
      rows.unshift({
        ...a,
        note: `best of ${aSamples.length}: ${aSamples.map((r) => r.eventsPerSecond).join(', ')} events/s`,
      });
    if (c3)
      rows.push({
        ...c3,
        note: `best of ${cSamples.length}: ${cSamples.map((r) => r.eventsPerSecond).join(', ')} events/s`,
      });

    // Extra (BENCH_INPROCESS=1): the three in this one process, sharing one event loop.
    if (settings.BENCH_INPROCESS) {
      await createVersions(db, VERSIONS.c3in);
      const cpu = new CpuWindow(cpuGroups, DEFINITIONS.length);
      const members = DEFINITIONS.map((definition) => ({
        definition,
        version: VERSIONS.c3in,
        clock: new RunClock(stack.kafkaBrokers, `bench-${definition.name}-in`, ends, cpu),
        db: pool(`${definition.name}-in`),
      }));
      const stats = await replayProjectors({ members, topic, ...knobs, timeoutMs: RUN_TIMEOUT_MS });
      for (const s of stats)
        log(`  ${s.name} in one process: ${s.seconds.toFixed(2)} s ${describe(s)}`);
      const inOne = await row(
        '(c) x3 together in ONE process',
        total,
        total * 3,
        RunClock.spanSeconds(members.map((m) => m.clock)),
        cpu,
        '(one Node event loop for the three)',
      );
      details['c3_inprocess'] = stats;
      rows.push(inOne);
    }

    // The runs did the same work: same rows and same states.
    const verification: Record<string, unknown> = {};
    for (const definition of DEFINITIONS) {
      const expected = {
        rows: mix.aggregates[kindOf(definition)],
        applied: mix.distinct[kindOf(definition)],
        history: mix.distinct[kindOf(definition)],
      };
      const versions = [
        ...(a ? [['a', VERSIONS.a] as const] : []),
        ...(c1[definition.name] ? [['c1', VERSIONS.c1] as const] : []),
        ...(c3 ? [['c3', VERSIONS.c3] as const] : []),
      ];
      const digests = await Promise.all(
        versions.map(async ([name, v]) => [name, await digest(db, definition, v)] as const),
      );
      const ok = digests.every(
        ([, d]) =>
          d.rows === expected.rows &&
          d.applied === expected.applied &&
          d.history === expected.history &&
          d.md5 === digests[0]?.[1].md5,
      );
      verification[definition.name] = { ok, expected, ...Object.fromEntries(digests) };
      log(
        `check ${definition.name}: ${ok ? 'OK' : 'MISMATCH'} (expected ${JSON.stringify(expected)}; ${digests.map(([n, d]) => `${n} ${d.rows} rows/${d.applied} applied/${d.history} history/${d.md5.slice(0, 8)}`).join('; ')})`,
      );
    }

    verification['oracle'] = await checkRowsWithOracle(
      db,
      mix.plans,
      DEFINITIONS,
      [VERSIONS.a, VERSIONS.c1, VERSIONS.c3, VERSIONS.c3in],
      log,
    );

    // Freshness: ingress 200 -> row visible, at a steady rate, through the real ingress.
    const freshness: FreshnessScenarioResult[] = [];
    if (!SKIP.has('fresh')) {
      const freshTopic = `bench.freshness.${runId}`;
      await ensureTopic({ brokers: stack.kafkaBrokers, topic: freshTopic, partitions: PARTITIONS });
      const sender = await startWebhookSender({
        brokers: stack.kafkaBrokers,
        topic: freshTopic,
        quarantineTopic: `bench.quarantine.${runId}`,
        log,
      });
      cleanups.unshift(() => sender.close());
      const scenarios = [
        // As the brief puts it: order webhooks, the orders projector, orders_v<n>.orders.
        {
          name: 'orders',
          definitions: [PROJECTORS.orders],
          kinds: ['order'],
          version: VERSIONS.fresh,
        },
        // All 12 types, the three projectors running (as `npm start` runs them).
        {
          name: 'all',
          definitions: DEFINITIONS,
          kinds: ['order', 'medication_request', 'refill'],
          version: VERSIONS.freshAll,
        },
      ] as const;
      for (const scenario of scenarios) {
        if (SKIP.has(`fresh-${scenario.name}`)) continue;
        const definitions: readonly ProjectorDefinition[] = scenario.definitions;
        await createVersions(db, scenario.version, definitions);
        await settle(`fresh-${scenario.name}`);
        freshness.push(
          await runFreshnessScenario({
            name: scenario.name,
            definitions,
            version: scenario.version,
            kinds: scenario.kinds,
            sender,
            topic: freshTopic,
            brokers: stack.kafkaBrokers,
            databaseUrl,
            runId,
            pollDb: pool(`freshness-poll-${scenario.name}`),
            cpuGroups,
            ratePerSecond: FRESH_RATE,
            seconds: FRESH_SECONDS,
            child: { ...knobs, experiment: EXPERIMENT },
            cpuProfileDir: CPU_PROFILE_DIR,
            log,
          }),
        );
      }
    }

    const ratio = (x: Row | undefined, y: Row | undefined) =>
      x && y ? round(x.eventsPerSecond / y.eventsPerSecond, 2) : undefined;
    const perCore = (x: Row | undefined, y: Row | undefined) =>
      x && y ? round(x.eventsPerCoreSecond / y.eventsPerCoreSecond, 2) : undefined;
    const ratios = {
      ca: ratio(c3, a),
      cb: ratio(c3, b),
      caPerCoreSecond: perCore(c3, a),
      cbPerCoreSecond: perCore(c3, b),
    };
    printTable(rows);
    console.log(
      `\nc/a = ${ratios.ca ?? '-'} (target >= ${TARGETS.ca})   c/b = ${ratios.cb ?? '-'} (target >= ${TARGETS.cb})` +
        `   [per CPU-second: c/a = ${ratios.caPerCoreSecond ?? '-'}, c/b = ${ratios.cbPerCoreSecond ?? '-'}]`,
    );
    for (const f of freshness) {
      const ms = (x: number) => x.toFixed(0);
      console.log(
        `freshness ${f.name} (${f.path} -> row visible; projectors ${f.projectors.join('+')}) at ${f.ratePerSecond.toFixed(0)} events/s for ${FRESH_SECONDS} s: ` +
          `p50 ${ms(f.visible.p50)} ms, p90 ${ms(f.visible.p90)} ms, p99 ${ms(f.visible.p99)} ms, max ${ms(f.visible.max)} ms ` +
          `(target p99 <= ${TARGETS.freshnessP99Ms})${f.visible.p99 <= TARGETS.freshnessP99Ms ? '' : ' MISSED'}; ` +
          `send -> 200 p50 ${ms(f.ack.p50)} / p99 ${ms(f.ack.p99)} ms; ${f.failed} failed, ${f.missing} never visible`,
      );
      const b = f.breakdown;
      const show = (x: { p50: number; p99: number }) => `p50 ${ms(x.p50)} / p99 ${ms(x.p99)} ms`;
      console.log(
        `  breakdown: ingress received -> projector transaction start ${show(b.receivedToTransaction)}; ` +
          `transaction start -> visible ${show(b.transactionToVisible)}`,
      );
      console.log(`  load: ${JSON.stringify(f.load)}`);
    }

    await mkdir(join(resultsFile, '..'), { recursive: true });
    await writeFile(
      resultsFile,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
          events: total,
          partitions: PARTITIONS,
          mix: {
            delivered: mix.delivered,
            distinct: mix.distinct,
            aggregates: mix.aggregates,
            avgBytes: Math.round(bytes / total),
          },
          produceSeconds: round(produceSeconds, 2),
          settings: {
            fetch: FETCH,
            partitionsConcurrently: RUNTIME_PARTITIONS_CONCURRENTLY,
            naive: { maxMessages: NAIVE_MAX_MESSAGES, maxSeconds: NAIVE_MAX_SECONDS },
            repeat: REPEAT,
            freshness: { ratePerSecond: FRESH_RATE, seconds: FRESH_SECONDS },
            experiment: EXPERIMENT,
          },
          rows,
          ratios,
          targets: TARGETS,
          freshness,
          verification,
          details,
        },
        null,
        2,
      )}\n`,
    );
    log(`wrote ${resultsFile}`);
  } finally {
    for (const cleanup of cleanups)
      await cleanup().catch((error) => log(`cleanup failed: ${String(error)}`));
  }
}

/** Cores used by the processes doing the work (everything sampled but `machine`, `others`). */
function ourCores(cores: Record<string, number>): number {
  return Object.entries(cores)
    .filter(([name]) => name !== 'machine' && name !== 'others')
    .reduce((sum, [, v]) => sum + v, 0);
}

function printTable(rows: readonly Row[]): void {
  const header = [
    'variant',
    'events',
    'seconds',
    'events/s',
    'msgs read/s',
    'our cores',
    'events/core-s',
    'others',
  ];
  const lines = rows.map((r) => [
    r.name,
    String(r.events),
    r.seconds.toFixed(2),
    String(r.eventsPerSecond),
    String(r.messagesPerSecond),
    ourCores(r.cores).toFixed(2),
    String(r.eventsPerCoreSecond),
    (r.cores['others'] ?? Number.NaN).toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${format(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const line of lines) console.log(format(line));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
