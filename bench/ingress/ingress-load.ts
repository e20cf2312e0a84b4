import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { guideSample } from '@novamed-stream/events';
import autocannon, { type AutocannonResult } from 'autocannon';
import type { AnswerTotals } from './judge-answers.js';

/** The bench-server.ts targets: the floor, (a) in-memory ack, (b) naive, (c) the ingress. */
export type Variant = 'bare' | 'memory' | 'naive' | 'ingress';

/** One measurement of one target. */
export interface Row {
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

/** A running bench-server.ts child, with the answers it gave under every load so far. */
export interface Server {
  variant: Variant;
  child: ChildProcess;
  url: string;
  /** 2xx, non-2xx and errors (timeouts included) over every load, warm-ups included. */
  totals: AnswerTotals;
}

/** What a server reports after a measurement. */
interface ServerReport {
  /** Server CPU per answered request since the last reset, in µs. */
  cpuMicrosPerRequest: number | undefined;
  /** Records the in-memory producer acknowledged since start (the `memory` target only). */
  appended: number;
}

/** Load shape shared by every target. */
export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  apiKey: string;
}

const serverScript = fileURLToPath(new URL('./bench-server.ts', import.meta.url));
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

/** Targets started and not yet exited, stopped on a signal (see {@link stopServersOnSignal}). */
const liveChildren = new Set<ChildProcess>();
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * From now on, SIGINT or SIGTERM stops every target still running, then exits with the
 * signal's usual code (128 + its number). Without it a killed run left its targets listening
 * (the children also exit on their own when the IPC channel closes; this stops them at once).
 */
export function stopServersOnSignal(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.all([...liveChildren].map((child) => stopServer({ child }))).finally(() =>
        process.exit(SIGNAL_EXIT_CODES[signal]),
      );
    });
  }
}

/** Starts one target as its own process (so the load generator does not share its loop). */
export function startServer(variant: Variant, serverEnv: Record<string, string>): Promise<Server> {
  const child = fork(serverScript, [variant], {
    execArgv: ['--import', 'tsx', '--conditions=source'],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...serverEnv },
    // The ingress logs one JSON line per request, as in production; the lines are dropped.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return new Promise((resolve, reject) => {
    child.once('message', (message) =>
      resolve({
        variant,
        child,
        url: (message as { url: string }).url,
        totals: { ok: 0, non2xx: 0, errors: 0 },
      }),
    );
    child.once('exit', (code) => reject(new Error(`${variant} server exited (${code})`)));
  });
}

export async function stopServer({ child }: Pick<Server, 'child'>): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function load(
  server: Server,
  settings: LoadSettings,
  seconds: number,
  overallRate?: number,
): Promise<AutocannonResult> {
  const result = await autocannon({
    url: `${server.url}/webhooks/novamed`,
    connections: settings.connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    ...(overallRate ? { overallRate } : {}),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': settings.apiKey },
        setupRequest: (request) => ({ ...request, body: nextBody() }),
      },
    ],
  });
  server.totals.ok += result['2xx'];
  server.totals.non2xx += result.non2xx;
  server.totals.errors += result.errors + result.timeouts;
  return result;
}

/** Asks the server for its CPU time per answered request since the last `reset`. */
export function serverReport(child: ChildProcess): Promise<ServerReport> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ cpuMicrosPerRequest: undefined, appended: 0 }), 5000);
    const onMessage = (message: unknown) => {
      const report = message as { cpuMicros?: number; answered?: number; appended?: number };
      if (typeof report.cpuMicros !== 'number') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve({
        cpuMicrosPerRequest: report.answered
          ? Math.round(report.cpuMicros / report.answered)
          : undefined,
        appended: report.appended ?? 0,
      });
    };
    child.on('message', onMessage);
    child.send('report');
  });
}

/** Warm-up, then one measured run, with the server's CPU per request. */
export async function measure(
  server: Server,
  settings: LoadSettings,
  name: string,
  rate?: number,
): Promise<Row> {
  await load(server, settings, settings.warmupSeconds, rate);
  server.child.send('reset');
  const result = await load(server, settings, settings.durationSeconds, rate);
  return {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
    serverCpuMicrosPerRequest: (await serverReport(server.child)).cpuMicrosPerRequest,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** The median round by the given measure (the lower middle one for an even count). */
export function median(rows: Row[], by: (row: Row) => number): Row {
  const sorted = [...rows].sort((x, y) => by(x) - by(y));
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!middle) throw new Error('no rounds');
  return middle;
}
