/**
 * `npm run bench:ingress`: one run, same body (the guide's order:shipped sample with a unique
 * event_id per request), same load generator (autocannon, 100 connections, no pipelining,
 * 10 s per measurement after a warm-up) against
 *   floor: bare Fastify that parses the body and answers 200 (no key, no checks, no log):
 *          the physical floor of this machine, not a competitor,
 *   (a) the ingress itself (buildApp: key check, content type, I-JSON, envelope, logging,
 *       metrics, micro-batching) with its producer replaced by an in-memory acknowledgement,
 *   (b) a naive handler awaiting one kafkajs send per request (idempotent, acks=-1),
 *   (c) the ingress on Kafka (acks=all, idempotent),
 * then (c) at half its maximum rate for its p99, next to the floor at the same rate as a
 * control for what the machine itself adds. Each target runs in its own process, all stay up,
 * and the measurements are interleaved over BENCH_ROUNDS rounds (default 3), so noise from
 * other processes hits every target alike; the table shows the median round of each.
 *
 * A wrong answer fails the run (exit 1): any non-2xx or error from (a) or (c), fewer records
 * acknowledged by (a)'s in-memory producer than its 200s, fewer records on (b)'s or (c)'s topic
 * (sum of high watermarks, read from the broker) than their 200s, or anything in quarantine.
 * Writes bench/results/ingress.json (`BenchResult`). Uses KAFKA_BROKERS when set, otherwise
 * starts a local stack (devstack).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTopic, startStack } from '@novamed-stream/devstack';
import {
  type BenchTarget,
  benchContext,
  loadAverageNow,
  printTargets,
  writeBenchResult,
} from '../bench-result.js';
import { readBenchSettings } from '../read-bench-settings.js';
import { IngressBenchSettings } from './ingress-bench-settings.js';
import { formatTable, rowsTable } from './ingress-bench-table.js';
import {
  type LoadSettings,
  measure,
  median,
  type Row,
  type Server,
  serverReport,
  startServer,
  stopServer,
  stopServersOnSignal,
  type Variant,
} from './ingress-load.js';
import { type AnswerVerdict, judgeAnswers } from './judge-answers.js';
import { topicMessageCounts } from './topic-message-count.js';

// Benchmark knobs (not part of any turbo task, so read here rather than declared in turbo.json).
const settings = readBenchSettings(IngressBenchSettings, process.env);
const ROUNDS = settings.BENCH_ROUNDS;
const LOAD: LoadSettings = {
  connections: settings.BENCH_CONNECTIONS,
  warmupSeconds: settings.BENCH_WARMUP_S,
  durationSeconds: settings.BENCH_DURATION_S,
  apiKey: `bench-${randomBytes(12).toString('hex')}`,
};
/** The issue's goals: (c) over the floor, (c) over naive, (c)'s p99 at half its rate. */
const GOALS = { cOverFloor: 0.5, cOverNaive: 10, halfLoadP99Ms: 25 };
const VARIANTS: readonly Variant[] = ['bare', 'memory', 'naive', 'ingress'];
const NAMES: Record<Variant, string> = {
  bare: 'floor: bare Fastify',
  memory: '(a) ingress, in-memory ack',
  naive: '(b) naive send/request',
  ingress: '(c) ingress on Kafka',
};
const runId = randomBytes(4).toString('hex');
const topics = {
  naive: `bench_naive_${runId}`,
  ingress: `bench_ingress_${runId}`,
  quarantine: `bench_quarantine_${runId}`,
};

type Servers = Record<Variant, Server>;

interface Measured {
  rounds: Record<Variant, Row[]>;
  halfRounds: Row[];
  controlRounds: Row[];
  rate: number;
  /** Records (a)'s in-memory producer acknowledged over the whole run. */
  memoryAppended: number;
}

async function withStack<T>(action: (brokers: string[]) => Promise<T>): Promise<T> {
  const external = settings.KAFKA_BROKERS;
  if (external) return action(external);
  const parent = join(tmpdir(), 'novamed-stream');
  await mkdir(parent, { recursive: true });
  const dataDir = await mkdtemp(join(parent, 'bench-'));
  // mkdtemp makes 0700 folders; as root, Postgres runs as `postgres` and must traverse it.
  await chmod(dataDir, 0o755);
  console.log(`Starting a local stack in ${dataDir}...`);
  const stack = await startStack({ dataDir, log: (line) => console.log(`  ${line}`) });
  try {
    return await action(stack.kafkaBrokers);
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function startServers(brokers: string[]): Promise<Servers> {
  const base = { BENCH_KAFKA_BROKERS: brokers.join(','), BENCH_API_KEY: LOAD.apiKey };
  const ingressTopics = { BENCH_TOPIC: topics.ingress, BENCH_QUARANTINE_TOPIC: topics.quarantine };
  return {
    bare: await startServer('bare', base),
    // The in-memory target never reaches Kafka; its topic names only label its records.
    memory: await startServer('memory', { ...base, ...ingressTopics }),
    naive: await startServer('naive', { ...base, BENCH_TOPIC: topics.naive }),
    ingress: await startServer('ingress', { ...base, ...ingressTopics }),
  };
}

/** Full-speed rounds over every target, then (c) and the floor at half of (c)'s median rate. */
async function measureAll(servers: Servers): Promise<Measured> {
  const rounds: Record<Variant, Row[]> = { bare: [], memory: [], naive: [], ingress: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const variant of VARIANTS) {
      const result = await measure(servers[variant], LOAD, NAMES[variant]);
      rounds[variant].push(result);
      console.log(
        `  round ${round} ${NAMES[variant]}: ${result.requestsPerSecond} req/s, p99 ` +
          `${result.p99Ms} ms, ${result.serverCpuMicrosPerRequest ?? '?'} µs CPU/req ` +
          `(load average ${result.loadAverage})`,
      );
    }
  }
  const rps = (row: Row) => row.requestsPerSecond;
  const rate = Math.max(1, Math.floor(median(rounds.ingress, rps).requestsPerSecond / 2));
  const halfRounds: Row[] = [];
  // Control: the floor at the same rate, to tell the ingress's latency from the machine's.
  const controlRounds: Row[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const result = await measure(servers.ingress, LOAD, `(c) ingress @ ${rate} req/s`, rate);
    halfRounds.push(result);
    const control = await measure(servers.bare, LOAD, `floor @ ${rate} req/s (control)`, rate);
    controlRounds.push(control);
    console.log(
      `  round ${round} at ${rate} req/s: (c) p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; ` +
        `floor p50 ${control.p50Ms} ms, p99 ${control.p99Ms} ms (load average ${control.loadAverage})`,
    );
  }
  const memoryAppended = (await serverReport(servers.memory.child)).appended;
  return { rounds, halfRounds, controlRounds, rate, memoryAppended };
}

/** Every answer judged against what the broker (or the in-memory producer) holds. */
async function checkAnswers(
  brokers: string[],
  servers: Servers,
  memoryAppended: number,
): Promise<AnswerVerdict> {
  const counts = await topicMessageCounts(brokers, Object.values(topics));
  return judgeAnswers({
    memory: servers.memory.totals,
    memoryAppended,
    naive: servers.naive.totals,
    naiveOnTopic: counts.get(topics.naive) ?? 0,
    ingress: servers.ingress.totals,
    ingressOnTopic: counts.get(topics.ingress) ?? 0,
    quarantined: counts.get(topics.quarantine) ?? 0,
  });
}

function targetsOf(b: Row, c: Row, floor: Row, half: Row): BenchTarget[] {
  const ratio = (x: Row, y: Row, digits: number) =>
    Math.round((x.requestsPerSecond / y.requestsPerSecond) * 10 ** digits) / 10 ** digits;
  const cOverFloor = ratio(c, floor, 2);
  const cOverNaive = ratio(c, b, 1);
  return [
    {
      name: 'c/floor',
      description: 'durable accepts/s of the ingress over bare Fastify (parse, 200)',
      goal: `>= ${GOALS.cOverFloor}`,
      measured: cOverFloor,
      unit: 'x',
      met: cOverFloor >= GOALS.cOverFloor,
    },
    {
      name: 'c/b',
      description: 'durable accepts/s of the ingress over one awaited send per request',
      goal: `>= ${GOALS.cOverNaive}`,
      measured: cOverNaive,
      unit: 'x',
      met: cOverNaive >= GOALS.cOverNaive,
    },
    {
      name: '(c) p99 at half load',
      description: "the ingress's p99 latency at half its maximum rate",
      goal: `<= ${GOALS.halfLoadP99Ms}`,
      measured: half.p99Ms,
      unit: ' ms',
      met: half.p99Ms <= GOALS.halfLoadP99Ms,
    },
  ];
}

async function benchmark(brokers: string[]): Promise<void> {
  const loadStart = loadAverageNow();
  for (const topic of Object.values(topics)) {
    await ensureTopic({ brokers, topic, partitions: 6 });
  }
  console.log(
    `Kafka ${brokers.join(',')}; ${cpus().length} CPUs; ${LOAD.connections} connections, no ` +
      `pipelining; ${LOAD.warmupSeconds} s warm-up + ${LOAD.durationSeconds} s per ` +
      `measurement; ${ROUNDS} rounds; load average ${loadStart.join(' ')}`,
  );
  const servers = await startServers(brokers);
  let measured: Measured;
  try {
    measured = await measureAll(servers);
  } finally {
    await Promise.all(Object.values(servers).map(stopServer));
  }
  const answers = await checkAnswers(brokers, servers, measured.memoryAppended);
  await report(measured, answers, loadStart);
}

/** Prints the medians, ratios, targets and checks, and writes bench/results/ingress.json. */
async function report(measured: Measured, answers: AnswerVerdict, loadStart: number[]) {
  const rps = (row: Row) => row.requestsPerSecond;
  const [floor, a, b, c] = VARIANTS.map((v) => median(measured.rounds[v], rps)) as [
    Row,
    Row,
    Row,
    Row,
  ];
  const half = median(measured.halfRounds, (row) => row.p99Ms);
  const control = median(measured.controlRounds, (row) => row.p99Ms);
  const medians = rowsTable(`Median of ${ROUNDS} interleaved rounds`, [
    floor,
    a,
    b,
    c,
    half,
    control,
  ]);
  const allRounds = rowsTable('Every round', [
    ...VARIANTS.flatMap((v) => measured.rounds[v]),
    ...measured.halfRounds,
    ...measured.controlRounds,
  ]);
  const targets = targetsOf(b, c, floor, half);
  const share = (x: Row, y: Row) =>
    Math.round((x.requestsPerSecond / y.requestsPerSecond) * 100) / 100;
  const notes = [
    `a/floor = ${share(a, floor)}: what the ingress's own work (key, checks, log, metrics, batching) costs`,
    `c/a = ${share(c, a)}: what durability (kafkajs, the broker round trip, acks=all) costs`,
    `c/b = ${share(c, b)}; half load = ${measured.rate} req/s`,
  ];
  console.log(`\n${formatTable(medians)}\n`);
  for (const note of notes) console.log(note);
  printTargets(targets);
  for (const line of answers.lines) console.log(line);

  const file = await writeBenchResult({
    bench: 'ingress',
    at: new Date().toISOString(),
    ...benchContext(),
    loadAverage: { start: loadStart, end: loadAverageNow() },
    settings: {
      connections: LOAD.connections,
      pipelining: 1,
      warmupSeconds: LOAD.warmupSeconds,
      durationSeconds: LOAD.durationSeconds,
      rounds: ROUNDS,
      halfLoadRate: measured.rate,
      kafka: settings.KAFKA_BROKERS ? 'KAFKA_BROKERS' : 'local single-node stack',
    },
    correct: answers.correct,
    correctness: answers.lines,
    tables: [medians, allRounds],
    targets,
    notes,
  });
  console.log(`Results written to ${file}`);
}

stopServersOnSignal();
await withStack(benchmark);
