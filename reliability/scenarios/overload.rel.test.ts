import http from 'node:http';
import { afterAll, expect, it } from 'vitest';
import type { CanaryEvent } from '../harness/canary.js';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { mapConcurrent } from '../harness/hostile-http.js';
import {
  RssSampler,
  rssBytes,
  type SlowClientResult,
  slowClient,
} from '../harness/overload-probes.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { atScale } from '../harness/scale.js';
import { postAndRead, type WebhookAnswer } from '../harness/sender.js';
import { readTopicCopies } from '../harness/topic-copies.js';

/** (a) slow clients */
const SLOW_TIMEOUT_MS = 2000;
/** Cut-off bound: the timeout plus a margin for a loaded 2-core machine. */
const CUT_MARGIN_MS = 4000;
const SILENT = 15;
const SLOW_HEADERS = 15;
const SLOW_BODY = 20;
/** (b) overload */
const MAX_PENDING = 50;
const BURST = atScale(2000, 10_000);
const CONCURRENCY = 300;
const BIG_BURST = atScale(300, 1000);
const BIG_BODY_BYTES = 100 * 1024;
const MAX_PENDING_BYTES = 1024 * 1024;
const RSS_BOUND = 400 * 1024 * 1024;
const MB = 1024 * 1024;

let env: ScenarioEnvironment | undefined;
afterAll(async () => {
  await env?.close();
});

const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

it('7. slow clients are cut off in time; overload gets 503 + Retry-After, every 200 is stored, memory stays bounded', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'overload', seed: 77 });
  const e = env;

  // --- (a) slow clients -------------------------------------------------------------------
  const slow = await e.ingress({
    label: 'ingress-slow',
    env: {
      REQUEST_TIMEOUT_MS: String(SLOW_TIMEOUT_MS),
      CONNECTION_TIMEOUT_MS: String(SLOW_TIMEOUT_MS),
    },
  });
  const { hostname, port } = new URL(slow.url);
  const target = { host: hostname, port: Number(port), giveUpMs: 60_000, dripEveryMs: 1000 };
  const head = (contentLength: number) =>
    `POST /webhooks/novamed HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n` +
    `x-api-key: ${e.apiKey}\r\ncontent-length: ${contentLength}\r\n\r\n`;
  const attack: Array<Promise<SlowClientResult>> = [];
  for (let i = 0; i < SILENT; i++) {
    attack.push(slowClient({ ...target, kind: 'silent', preamble: '', drip: '' }));
  }
  for (let i = 0; i < SLOW_HEADERS; i++) {
    attack.push(
      slowClient({
        ...target,
        kind: 'slow headers',
        preamble: `POST /webhooks/novamed HTTP/1.1\r\nhost: ${hostname}\r\n`,
        drip: 'x-slow-header-that-never-ends: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      }),
    );
  }
  for (let i = 0; i < SLOW_BODY; i++) {
    attack.push(
      slowClient({
        ...target,
        kind: 'slow body',
        preamble: head(10_000),
        drip: '{"a":"bbbbbbbbbb',
      }),
    );
  }
  // A normal sender during the attack (after the slow sockets are open).
  await new Promise((r) => setTimeout(r, 500));
  const normalAgent = new http.Agent({ keepAlive: false });
  const normalEvents = e.feed.take(5);
  const normalAnswers: Array<WebhookAnswer & { ms: number }> = [];
  for (const event of normalEvents) {
    const t = performance.now();
    const answer = await postAndRead(normalAgent, slow.webhookUrl, e.apiKey, event.body, 20_000);
    normalAnswers.push({ ...answer, ms: Math.round(performance.now() - t) });
    await new Promise((r) => setTimeout(r, 200));
  }
  normalAgent.destroy();
  const slowResults = await Promise.all(attack);
  const bound = SLOW_TIMEOUT_MS + CUT_MARGIN_MS;
  const notCut = slowResults.filter((r) => r.cutAfterMs === undefined || r.cutAfterMs > bound);
  const cutTimes = slowResults
    .map((r) => r.cutAfterMs)
    .filter((t): t is number => t !== undefined)
    .sort((a, b) => a - b);
  const byKind = (kind: string) => {
    const times = slowResults.filter((r) => r.kind === kind).map((r) => r.cutAfterMs ?? Infinity);
    return `${Math.min(...times)}-${Math.max(...times)} ms`;
  };
  const answered408 = slowResults.filter((r) => r.status === 408).length;
  const slowHealth = await fetch(`${slow.url}/healthz`, {
    signal: AbortSignal.timeout(10_000),
  }).then(
    (r) => r.status,
    () => 0,
  );
  const slowCrashes = slow.process.exits.length;
  await slow.process.stop(20_000);

  // --- (b) overload: a burst far past MAX_PENDING, then one of large bodies ----------------
  const over = await e.ingress({
    label: 'ingress-overload',
    env: {
      MAX_PENDING: String(MAX_PENDING),
      MAX_PENDING_BYTES: String(MAX_PENDING_BYTES),
      // Each micro-batch waits a little: the pending appends pile up like behind a slow broker.
      LINGER_MS: '20',
    },
  });
  const pid = over.process.pid;
  await new Promise((r) => setTimeout(r, 1000));
  const idleSamples: number[] = [];
  for (let i = 0; i < 5; i++) {
    idleSamples.push(rssBytes(pid) ?? 0);
    await new Promise((r) => setTimeout(r, 100));
  }
  const idleRss = Math.max(...idleSamples);

  const burst = async (events: readonly CanaryEvent[], bodies: readonly string[]) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const t = performance.now();
    const answers = await mapConcurrent(events, CONCURRENCY, (_, i) =>
      postAndRead(agent, over.webhookUrl, e.apiKey, bodies[i] as string, 60_000),
    );
    agent.destroy();
    return { answers, seconds: secondsSince(t) };
  };
  const sampler = new RssSampler(pid, 100);
  const small = e.feed.take(BURST);
  const smallRun = await burst(
    small,
    small.map((ev) => ev.body),
  );
  const big = e.feed.take(BIG_BURST);
  const bigBodies = big.map((ev) => {
    const o = { ...(ev.event as unknown as Record<string, unknown>), pad: '' };
    o.pad = 'p'.repeat(BIG_BODY_BYTES - JSON.stringify(o).length);
    return JSON.stringify(o);
  });
  const bigRun = await burst(big, bigBodies);
  const rss = sampler.stop();

  const tally = (answers: WebhookAnswer[]) => {
    const statuses: Record<string, number> = {};
    const codes: Record<string, number> = {};
    let retryAfter = 0;
    for (const a of answers) {
      const key = a.status === 0 ? `no answer (${a.networkError})` : String(a.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (a.status === 503) {
        codes[a.code ?? '?'] = (codes[a.code ?? '?'] ?? 0) + 1;
        if (a.retryAfter !== undefined && Number(a.retryAfter) > 0) retryAfter++;
      }
    }
    return { statuses, codes, retryAfter };
  };
  const allAnswers = [...smallRun.answers, ...bigRun.answers];
  const allEvents = [...small, ...big];
  const smallTally = tally(smallRun.answers);
  const bigTally = tally(bigRun.answers);
  const ok = allAnswers.filter((a) => a.status === 200).length;
  const unavailable = allAnswers.filter((a) => a.status === 503).length;
  const retryAfter = smallTally.retryAfter + bigTally.retryAfter;
  const otherStatus = allAnswers.filter((a) => a.status !== 200 && a.status !== 503).length;
  const acknowledged = allEvents.filter((_, i) => allAnswers[i]?.status === 200);
  const acknowledgedIds = new Set(acknowledged.map((ev) => ev.eventId));

  const normalOnTopic = normalEvents.filter((_, i) => normalAnswers[i]?.status === 200);
  const topic = await readTopicCopies(e.kafka, e.topic);
  const missing = [...acknowledged, ...normalOnTopic].filter(
    (ev) => !topic.copies.has(ev.eventId),
  ).length;
  const rejectedButStored = allEvents.filter(
    (ev, i) => allAnswers[i]?.status === 503 && topic.copies.has(ev.eventId),
  ).length;
  const overHealth = await fetch(`${over.url}/healthz`, {
    signal: AbortSignal.timeout(10_000),
  }).then(
    (r) => r.status,
    () => 0,
  );
  // After the storm: a normal request is accepted again.
  const [after] = e.feed.take(1);
  if (!after) throw new Error('no event');
  const afterAgent = new http.Agent();
  const afterAnswer = await postAndRead(afterAgent, over.webhookUrl, e.apiKey, after.body, 20_000);
  afterAgent.destroy();
  const overCrashes = over.process.exits.length;
  const sweep = e.sweep();

  const fmt = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  const verdict = recordScenario({
    number: 7,
    title: 'Slow clients and overload',
    did: {
      'slow sockets': slowResults.length,
      'of which silent / slow headers / slow body': `${SILENT} / ${SLOW_HEADERS} / ${SLOW_BODY}`,
      'REQUEST_TIMEOUT_MS = CONNECTION_TIMEOUT_MS': SLOW_TIMEOUT_MS,
      'normal requests during the attack': normalEvents.length,
      'burst requests (small bodies)': BURST,
      [`burst requests (${BIG_BODY_BYTES / 1024} KiB bodies)`]: BIG_BURST,
      concurrency: CONCURRENCY,
      MAX_PENDING: MAX_PENDING,
      'MAX_PENDING_BYTES (MiB)': mb(MAX_PENDING_BYTES),
      'RSS samples (100 ms)': rss.samples,
    },
    found: {
      'slow sockets cut off within bound': `${slowResults.length - notCut.length} of ${slowResults.length} (bound ${bound} ms)`,
      'cut-off silent': byKind('silent'),
      'cut-off slow headers': byKind('slow headers'),
      'cut-off slow body': byKind('slow body'),
      '408 answers': answered408,
      'normal requests 200 during the attack': `${normalAnswers.filter((a) => a.status === 200).length} of ${normalAnswers.length} (max ${Math.max(...normalAnswers.map((a) => a.ms))} ms)`,
      '200s': ok,
      '503s': unavailable,
      '503s with Retry-After': retryAfter,
      'other statuses / no answer': otherStatus,
      '200 but not on the topic': missing,
      '503 yet on the topic (allowed)': rejectedButStored,
      'idle RSS (MB)': mb(idleRss),
      'peak RSS (MB)': mb(rss.peak),
      crashes: slowCrashes + overCrashes,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria: `each slow socket is cut off within ${bound} ms while a normal request gets 200; under overload the excess gets 503 with Retry-After and no other error; every 200 is on the topic; peak RSS < ${mb(RSS_BOUND)} MB; no crash; no PHI or key in any log`,
    checks: {
      'every slow socket cut off in time': () =>
        expect(
          notCut.map((r) => `${r.kind}: ${r.cutAfterMs ?? 'never'} ms`),
          `slow sockets not cut off within ${bound} ms`,
        ).toEqual([]),
      'normal requests got 200 during the attack': () =>
        expect(normalAnswers.map((a) => a.status)).toEqual(normalEvents.map(() => 200)),
      '/healthz 200 after the slow clients': () => expect(slowHealth).toBe(200),
      'overload produced 503s': () =>
        expect(unavailable, 'overload must produce 503s').toBeGreaterThan(0),
      'overload still accepted some': () => expect(ok, 'and still accept some').toBeGreaterThan(0),
      'every 503 carries Retry-After': () =>
        expect(retryAfter, 'every 503 carries Retry-After').toBe(unavailable),
      'no answer other than 200 and 503': () =>
        expect(otherStatus, 'answers other than 200 and 503').toBe(0),
      'every 200 is on the topic': () => expect(missing, '200s missing on the topic').toBe(0),
      'one distinct event per 200': () => expect(acknowledgedIds.size).toBe(ok),
      'peak RSS within bound': () =>
        expect(rss.peak, `peak RSS ${mb(rss.peak)} MB`).toBeLessThan(RSS_BOUND),
      '/healthz 200 after the overload': () => expect(overHealth).toBe(200),
      'a request after the overload gets 200': () => expect(afterAnswer.status).toBe(200),
      'no ingress crash': () => expect(slowCrashes + overCrashes).toBe(0),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
    },
    seconds: secondsSince(started),
    notes: [
      `small burst (${smallRun.seconds} s): ${fmt(smallTally.statuses)}; 503 codes ${fmt(smallTally.codes)}`,
      `large-body burst (${bigRun.seconds} s): ${fmt(bigTally.statuses)}; 503 codes ${fmt(bigTally.codes)}`,
      `slow-socket cut-offs (ms, sorted): ${cutTimes.join(' ')}`,
    ],
  });

  assertVerdict(verdict);
});
