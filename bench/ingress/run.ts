/**
 * `npm run bench:ingress`: one run, same body (the guide's order:shipped sample with a unique
 * event_id per request), same load generator (autocannon, 100 connections, no pipelining,
 * 10 s per measurement after a warm-up) against
 *   (a) a bare Fastify route that parses the body and answers 200,
 *   (b) a naive handler awaiting one kafkajs send per request (idempotent, acks=-1),
 *   (c) the ingress (buildApp),
 * then (c) at half its maximum rate for its p99, next to (a) at the same rate as a control for
 * what the machine itself adds. Each target runs in its own process, all three
 * stay up, and the measurements are interleaved over BENCH_ROUNDS rounds (default 3), so noise
 * from other processes on the machine hits every target alike; the table shows the median
 * round of each. Prints the table and ratios, writes bench/results/ingress.json. Uses
 * KAFKA_BROKERS when set, otherwise starts a local stack (devstack).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTopic, startStack } from '@novamed-stream/devstack';
import { guideSample } from '@novamed-stream/events';
import autocannon, { type AutocannonResult } from 'autocannon';
import { readBenchSettings } from '../read-bench-settings.js';
import { IngressBenchSettings } from './ingress-bench-settings.js';

// Benchmark knobs (not part of any turbo task, so read here rather than declared in turbo.json).
const settings = readBenchSettings(IngressBenchSettings, process.env);
const CONNECTIONS = settings.BENCH_CONNECTIONS;
const DURATION_S = settings.BENCH_DURATION_S;
const WARMUP_S = settings.BENCH_WARMUP_S;
const ROUNDS = settings.BENCH_ROUNDS;
const TARGETS = { ca: 0.5, cb: 10, halfLoadP99Ms: 25 };
const API_KEY = `bench-${randomBytes(12).toString('hex')}`;
const serverScript = fileURLToPath(new URL('./bench-server.ts', import.meta.url));
const resultsFile = fileURLToPath(new URL('../results/ingress.json', import.meta.url));

type Variant = 'bare' | 'naive' | 'ingress';

interface Row {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  requests: number;
  /** CPU time (user + system) of the server process per answered request, in µs. */
  serverCpuMicrosPerRequest: number | undefined;
  /** The machine's 1-minute load average when the measurement ended. */
  loadAverage: number;
}

interface Server {
  child: ChildProcess;
  url: string;
}

const SAMPLE = guideSample('orderShipped').toString('utf8');
const SAMPLE_ID = '"evt_abc123xyz"';
if (!SAMPLE.includes(SAMPLE_ID)) throw new Error('the guide sample changed: no evt_abc123xyz');
const runId = randomBytes(4).toString('hex');
let counter = 0;

/** The same body for every target, with a unique event_id per request. */
function nextBody(): string {
  counter += 1;
  return SAMPLE.replace(SAMPLE_ID, `"evt_bench_${runId}_${counter}"`);
}

function startServer(variant: Variant, serverEnv: Record<string, string>): Promise<Server> {
  const child = fork(serverScript, [variant], {
    execArgv: ['--import', 'tsx', '--conditions=source'],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...serverEnv },
    // The ingress logs one JSON line per request, as in production; the lines are dropped.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, url: (message as { url: string }).url }));
    child.once('exit', (code) => reject(new Error(`${variant} server exited (${code})`)));
  });
}

async function stopServer({ child }: Server): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function load(url: string, seconds: number, overallRate?: number): Promise<AutocannonResult> {
  return autocannon({
    url: `${url}/webhooks/novamed`,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    ...(overallRate ? { overallRate } : {}),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        setupRequest: (request) => ({ ...request, body: nextBody() }),
      },
    ],
  });
}

/** Asks the server for its CPU time per answered request since the last `reset`. */
function serverCpu(child: ChildProcess): Promise<number | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 5000);
    const onMessage = (message: unknown) => {
      const report = message as { cpuMicros?: number; answered?: number };
      if (typeof report.cpuMicros !== 'number' || !report.answered) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(Math.round(report.cpuMicros / report.answered));
    };
    child.on('message', onMessage);
    child.send('report');
  });
}

/** Warm-up, then one measured run, with the server's CPU per request. */
async function measure(server: Server, name: string, rate?: number): Promise<Row> {
  await load(server.url, WARMUP_S, rate);
  server.child.send('reset');
  const result = await load(server.url, DURATION_S, rate);
  return {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
    serverCpuMicrosPerRequest: await serverCpu(server.child),
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** The median round by the given measure (the lower middle one for an even count). */
function median(rows: Row[], by: (row: Row) => number): Row {
  const sorted = [...rows].sort((x, y) => by(x) - by(y));
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!middle) throw new Error('no rounds');
  return middle;
}

function table(rows: Row[]): string {
  const header = ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'server CPU µs/req'];
  const lines = rows.map((r) => [
    r.name,
    String(r.requestsPerSecond),
    String(r.p50Ms),
    String(r.p99Ms),
    String(r.errors),
    String(r.non2xx),
    String(r.serverCpuMicrosPerRequest ?? '?'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [
    format(header),
    `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...lines.map(format),
  ].join('\n');
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

async function benchmark(brokers: string[]): Promise<void> {
  const topics = {
    naive: `bench_naive_${runId}`,
    ingress: `bench_ingress_${runId}`,
    quarantine: `bench_quarantine_${runId}`,
  };
  for (const topic of Object.values(topics)) {
    await ensureTopic({ brokers, topic, partitions: 6 });
  }
  const base = { BENCH_KAFKA_BROKERS: brokers.join(','), BENCH_API_KEY: API_KEY };
  console.log(
    `Kafka ${brokers.join(',')}; ${cpus().length} CPUs; ${CONNECTIONS} connections, no ` +
      `pipelining; ${WARMUP_S} s warm-up + ${DURATION_S} s per measurement; ${ROUNDS} rounds`,
  );

  const servers = {
    bare: await startServer('bare', base),
    naive: await startServer('naive', { ...base, BENCH_TOPIC: topics.naive }),
    ingress: await startServer('ingress', {
      ...base,
      BENCH_TOPIC: topics.ingress,
      BENCH_QUARANTINE_TOPIC: topics.quarantine,
    }),
  };
  const names = {
    bare: '(a) bare Fastify',
    naive: '(b) naive send/request',
    ingress: '(c) ingress',
  };
  const rounds: Record<Variant, Row[]> = { bare: [], naive: [], ingress: [] };
  const halfRounds: Row[] = [];
  // Control: the bare route at the same rate, to tell the ingress's latency from the machine's.
  const controlRounds: Row[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const variant of ['bare', 'naive', 'ingress'] as const) {
        const result = await measure(servers[variant], names[variant]);
        rounds[variant].push(result);
        console.log(
          `  round ${round} ${names[variant]}: ${result.requestsPerSecond} req/s, p99 ` +
            `${result.p99Ms} ms (load average ${result.loadAverage})`,
        );
      }
    }
    const rps = (row: Row) => row.requestsPerSecond;
    const rate = Math.max(1, Math.floor(median(rounds.ingress, rps).requestsPerSecond / 2));
    for (let round = 1; round <= ROUNDS; round++) {
      const result = await measure(servers.ingress, `(c) ingress @ ${rate} req/s`, rate);
      halfRounds.push(result);
      const control = await measure(servers.bare, `(a) bare @ ${rate} req/s (control)`, rate);
      controlRounds.push(control);
      console.log(
        `  round ${round} at ${rate} req/s: (c) p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; ` +
          `(a) p50 ${control.p50Ms} ms, p99 ${control.p99Ms} ms (load average ${control.loadAverage})`,
      );
    }
  } finally {
    await Promise.all(Object.values(servers).map(stopServer));
  }

  const a = median(rounds.bare, (row) => row.requestsPerSecond);
  const b = median(rounds.naive, (row) => row.requestsPerSecond);
  const c = median(rounds.ingress, (row) => row.requestsPerSecond);
  const half = median(halfRounds, (row) => row.p99Ms);
  const control = median(controlRounds, (row) => row.p99Ms);
  const ratios = {
    ca: Math.round((c.requestsPerSecond / a.requestsPerSecond) * 100) / 100,
    cb: Math.round((c.requestsPerSecond / b.requestsPerSecond) * 10) / 10,
  };
  const met = {
    ca: ratios.ca >= TARGETS.ca,
    cb: ratios.cb >= TARGETS.cb,
    halfLoadP99: half.p99Ms <= TARGETS.halfLoadP99Ms,
  };
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(`\nMedian of ${ROUNDS} interleaved rounds:\n${table([a, b, c, half, control])}\n`);
  console.log(`c/a = ${ratios.ca} (target >= ${TARGETS.ca}: ${mark(met.ca)})`);
  console.log(`c/b = ${ratios.cb} (target >= ${TARGETS.cb}: ${mark(met.cb)})`);
  console.log(
    `p99 of (c) at half load = ${half.p99Ms} ms (target <= ${TARGETS.halfLoadP99Ms} ms: ` +
      `${mark(met.halfLoadP99)})`,
  );

  await mkdir(join(resultsFile, '..'), { recursive: true });
  await writeFile(
    resultsFile,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
        load: {
          connections: CONNECTIONS,
          pipelining: 1,
          warmupSeconds: WARMUP_S,
          durationSeconds: DURATION_S,
          rounds: ROUNDS,
        },
        kafkaBrokers: settings.KAFKA_BROKERS ? 'KAFKA_BROKERS' : 'local single-node stack',
        medians: { bare: a, naive: b, ingress: c, ingressHalfLoad: half, bareControl: control },
        rounds: { ...rounds, ingressHalfLoad: halfRounds, bareControl: controlRounds },
        ratios,
        targets: TARGETS,
        met,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`Results written to ${resultsFile}`);
}

await withStack(benchmark);
