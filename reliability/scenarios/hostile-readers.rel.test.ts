import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_TYPES, routingKey } from '@novamed-stream/events';
import { readTopic, type TopicMessage } from '@novamed-stream/testkit';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { type CanaryEvent, CanaryFeed } from '../harness/canary.js';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { runJavaReader, runPythonReader } from '../harness/foreign-readers.js';
import { HOSTILE_FAMILIES, type HostileCase, hostileCorpus } from '../harness/hostile-corpus.js';
import { mapConcurrent, type RawResponse, sendRaw } from '../harness/hostile-http.js';
import {
  accountMessages,
  checkNormalEvents,
  partitionLags,
  waitForZeroLag,
} from '../harness/projection-accounting.js';
import { compareWithNode, type NodeView, nodeView } from '../harness/reader-agreement.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { atScale } from '../harness/scale.js';
import { sendLikeNovaMed } from '../harness/sender.js';

const SEED = 20_261_212;
/** Hostile bodies per family (each family's must-haves, then a seeded sample). */
const PER_FAMILY = atScale(28, 90);
/** At least this many normal events (more when needed to cover every type and partition). */
const NORMAL_EVENTS = atScale(240, 1200);
const PARTITIONS = 6;
/** The ingress's default limit, set explicitly: huge strings are sized against it. */
const BODY_LIMIT = 256 * 1024;
const CONCURRENCY = 4;
const PATH = '/webhooks/novamed';

let env: ScenarioEnvironment | undefined;
afterAll(async () => {
  await env?.close();
});

/** The partition the ingress's producer (kafkajs's default partitioner) picks for a key. */
const partitionOf = (() => {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from(
    { length: PARTITIONS },
    (_, partitionId) => ({ partitionId, leader: 0 }) as PartitionMetadata,
  );
  return (key: string) =>
    partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
})();

/**
 * Normal events from `feed` until there are at least `count`, every one of the 12 types is
 * there, and each aggregate has events on every partition (so every projector must get past
 * whatever hostile message sits on each partition before its normal events).
 */
function normalEvents(feed: CanaryFeed, count: number): CanaryEvent[] {
  const events: CanaryEvent[] = [];
  const covered = new Set<string>();
  const needed = EVENT_TYPES.length + 3 * PARTITIONS;
  while (events.length < count || covered.size < needed) {
    if (events.length > 50_000) throw new Error('the feed does not cover every type and partition');
    for (const e of feed.take(20)) {
      events.push(e);
      covered.add(e.event.event_type);
      covered.add(`${e.kind}@${partitionOf(routingKey(e.event as never))}`);
    }
  }
  return events;
}

/** `status code` of an answer; a reset while sending a body over the limit counts as the 413. */
function answerOf(c: HostileCase, a: RawResponse): string {
  if (a.status === 0) {
    const early =
      c.body.length > BODY_LIMIT && ['EPIPE', 'ECONNRESET'].includes(a.networkError ?? '');
    return early ? '413 (reset)' : `no answer (${a.networkError})`;
  }
  return a.code ? `${a.status} ${a.code}` : `${a.status}`;
}

it('10. hostile input and foreign readers: nothing accepted halts a projector or breaks a Java or Python reader', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'hostile-readers', seed: 1010, partitions: PARTITIONS });
  const e = env;
  // A feed of its own: a small concurrency gives all 12 types within a few hundred events.
  const feed = new CanaryFeed({ seed: SEED, concurrency: 10 });
  const ingress = await e.ingress({
    env: {
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
      // Input, not load: no 503 because a busy 2-core machine stalls (overload is scenario 7).
      MAX_EVENT_LOOP_DELAY_MS: '0',
      APPEND_DEADLINE_MS: '4500',
    },
  });
  const projectors = await e.startProjectors();

  // --- 1. hostile bodies, authenticated, through the real ingress ---------------------------
  const corpus = hostileCorpus({
    seed: SEED,
    templates: feed,
    perFamily: PER_FAMILY,
    bodyLimit: BODY_LIMIT,
  });
  const hostileStarted = performance.now();
  const answers = await mapConcurrent(corpus, CONCURRENCY, (c) =>
    sendRaw(ingress.url, {
      path: PATH,
      headers: [
        ['content-type', 'application/json'],
        ['x-api-key', e.apiKey],
      ],
      body: c.body,
    }),
  );
  const hostileSeconds = secondsSince(hostileStarted);
  const byFamily = new Map<string, Map<string, number>>();
  const failedAnswers: string[] = [];
  corpus.forEach((c, i) => {
    const answer = answerOf(c, answers[i] as RawResponse);
    const counts = byFamily.get(c.family) ?? new Map<string, number>();
    counts.set(answer, (counts.get(answer) ?? 0) + 1);
    byFamily.set(c.family, counts);
    if (answer.startsWith('5') || answer.startsWith('no answer'))
      failedAnswers.push(`${c.name} -> ${answer}`);
  });
  const accepted = corpus.filter((_, i) => (answers[i] as RawResponse).status === 200);

  // --- 2. normal events on every partition, all 12 types, after the hostile ones -------------
  const normal = normalEvents(feed, NORMAL_EVENTS);
  const sent = await sendLikeNovaMed(normal, {
    url: () => ingress.webhookUrl,
    apiKey: e.apiKey,
    concurrency: 8,
    giveUpAfterMs: 60_000,
  });

  // --- 3. every projector at lag 0 on every partition (gives up once nothing moves) ---------
  const catchUp = await waitForZeroLag(e.db, e.kafka, e.topic, {
    timeoutMs: atScale(120_000, 300_000),
    stallMs: 20_000,
  });
  const lags = catchUp.ok ? catchUp.lags : await partitionLags(e.db, e.kafka, e.topic);
  const lagging = lags.filter((l) => l.lag > 0n);
  const exits = [ingress.process, ...projectors].map((p) => ({
    name: p.spec.name,
    exits: p.exits.length,
    running: p.running,
  }));

  // --- 4. what each projector did with what it got; the normal events exactly once ----------
  const messages = await readTopic(e.kafka, e.topic);
  const accounts = await accountMessages(e.db, e.topic, messages);
  const unaccounted = accounts.flatMap((a) =>
    a.unaccounted.map((u) => ({ ...u, projector: a.projector })),
  );
  const normalCheck = await checkNormalEvents(e.db, sent.acknowledged);

  // --- 5. readers nobody here wrote: Java (Jackson defaults) and Python (json) --------------
  const readerOptions = {
    brokers: e.brokers,
    topic: e.topic,
    logDir: e.logDir,
    workDir: join(tmpdir(), 'novamed-stream', 'foreign-readers'),
  };
  const [java, python] = await Promise.all([
    runJavaReader(readerOptions),
    runPythonReader(readerOptions),
  ]);
  const caseOf = new Map<string, string>();
  for (const c of corpus) caseOf.set(c.templateEventId, c.name);
  for (const n of normal) caseOf.set(n.eventId, 'normal event');
  const label = (m: TopicMessage) => {
    const id = m.headers['novamed-event-id'] ?? '';
    // Hostile ids keep their template id as a prefix (`evt_fz12_other`) unless replaced.
    const known = caseOf.get(id) ?? caseOf.get(/^evt_fz\d+/.exec(id)?.[0] ?? '');
    return `${known ?? 'a hostile body whose event_id was the hostile part'} @${m.partition}:${m.offset}`;
  };
  const views = new Map<TopicMessage, NodeView>(messages.map((m) => [m, nodeView(m)]));
  const nodeFailures = messages.filter((m) => views.get(m)?.error !== null).map(label);
  const readers = [java, python].map((run) => compareWithNode(run, messages, views, label));

  const sweep = e.sweep([{ label: 'canary patient data (scenario feed)', value: feed.marker }]);

  // --- figures --------------------------------------------------------------------------------
  const familyLine = (family: string) =>
    [...(byFamily.get(family) ?? new Map<string, number>())]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([answer, n]) => `${answer} x${n}`)
      .join(', ');
  const count = (family: string) => corpus.filter((c) => c.family === family).length;
  const inErrors = accounts.reduce((n, a) => n + a.inErrors, 0);
  const maxLag = Math.max(0, ...lags.map((l) => Number(l.lag)));
  const processExits = exits.reduce((n, p) => n + p.exits, 0);
  const readerFigure = (r: (typeof readers)[number]) =>
    r.ran
      ? `${r.lines} read, ${r.parseFailures.length} parse failures, ${r.disagreements.length} disagreements, ${r.missing} missing`
      : `did not run (${r.detail})`;
  const verdict = recordScenario({
    number: 10,
    title: 'Hostile input and foreign readers',
    did: {
      [`hostile bodies (seed ${SEED}, authenticated)`]: corpus.length,
      'per family': HOSTILE_FAMILIES.map((f) => `${f} ${count(f)}`).join(', '),
      'normal events (12 types, every partition)': normal.length,
      'hostile send seconds': hostileSeconds,
      readers:
        'Node decodeEvent, Java kafka-clients + Jackson defaults, Python kafka-python + json',
    },
    found: {
      'hostile answered 200': accepted.length,
      '5xx or no answer': failedAnswers.length,
      'normal events acknowledged': `${sent.report.acknowledged} of ${normal.length}`,
      'lag 0 on every partition': catchUp.ok
        ? `yes, in ${catchUp.seconds} s`
        : `NO (${catchUp.reason} after ${catchUp.seconds} s)`,
      'partitions with lag': lagging.length,
      'max lag (offsets)': maxLag,
      'normal events missing / duplicated / rows wrong': `${normalCheck.missing} / ${normalCheck.doubleApplied} / ${normalCheck.mismatchedRows}`,
      'unusable messages in projection_errors': inErrors,
      'unusable messages not in projection_errors': unaccounted.length,
      'Node parse failures': nodeFailures.length,
      java: readerFigure(readers[0] as (typeof readers)[number]),
      python: readerFigure(readers[1] as (typeof readers)[number]),
      'service exits': processExits,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria:
      'no 5xx; every projector at lag 0 on every partition; every normal event applied exactly once; every accepted message a projector cannot use in projection_errors; no service exit; a Java (Jackson defaults) and a Python (json) reader parse every message and agree with the Node decoder on key, event_id, event_type; no PHI in logs',
    checks: {
      'no 5xx or missing answer to hostile bodies': () =>
        expect(failedAnswers, '5xx answers or no answer to hostile bodies').toEqual([]),
      'every normal event acknowledged': () =>
        expect(sent.report.acknowledged, 'normal events acknowledged').toBe(normal.length),
      'no partition with lag': () =>
        expect(
          lagging.map((l) => `${l.projector}@${l.partition}: ${l.checkpoint}/${l.end}`),
          'partitions with lag',
        ).toEqual([]),
      'every projector caught up': () => expect(catchUp.ok).toBe(true),
      'normal events: missing 0, applied twice 0, rows wrong 0': () =>
        expect({
          missing: normalCheck.missing,
          doubleApplied: normalCheck.doubleApplied,
          mismatchedRows: normalCheck.mismatchedRows,
        }).toEqual({ missing: 0, doubleApplied: 0, mismatchedRows: 0 }),
      'every unusable message in projection_errors': () =>
        expect(unaccounted.length, 'unusable messages not in projection_errors').toBe(0),
      'no service exit': () =>
        expect(
          exits.filter((p) => p.exits > 0 || !p.running),
          'service exits',
        ).toEqual([]),
      'the Node decoder parses every message': () =>
        expect(nodeFailures, 'messages the Node decoder cannot parse').toEqual([]),
      ...Object.fromEntries(
        readers.flatMap((r) => [
          [`${r.reader} ran`, () => expect(r.ran ? '' : r.detail, `${r.reader} ran`).toBe('')],
          [
            `${r.reader} parses every message`,
            () => expect(r.parseFailures, `${r.reader}: messages it cannot parse`).toEqual([]),
          ],
          [
            `${r.reader} agrees with Node`,
            () => expect(r.disagreements, `${r.reader}: disagreements with Node`).toEqual([]),
          ],
          [
            `${r.reader}: missing 0, extra 0`,
            () => expect({ missing: r.missing, extra: r.extra }).toEqual({ missing: 0, extra: 0 }),
          ],
        ]),
      ),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
    },
    seconds: secondsSince(started),
    notes: [
      ...HOSTILE_FAMILIES.map((f) => `answers, ${f}: ${familyLine(f)}`),
      ...lagging.map(
        (l) => `lag: ${l.projector} partition ${l.partition} at ${l.checkpoint} of ${l.end}`,
      ),
      ...accounts.map(
        (a) =>
          `${a.projector}: ${a.itsBusiness} its business, ${a.used} used, ${a.inErrors} in projection_errors, ${a.unaccounted.length} unaccounted, ${a.unknownTypes} unknown types skipped`,
      ),
      ...exits
        .filter((p) => p.exits > 0 || !p.running)
        .map((p) => `process ${p.name}: ${p.exits} exits, running ${p.running}`),
      ...failedAnswers.slice(0, 10),
      ...readers.flatMap((r) => [
        ...r.parseFailures.slice(0, 12).map((f) => `${r.reader} cannot parse ${f}`),
        ...r.disagreements.slice(0, 8).map((d) => `${r.reader} disagrees with Node on ${d}`),
      ]),
      ...nodeFailures.slice(0, 5).map((f) => `Node decodeEvent cannot parse ${f}`),
      ...unaccounted
        .slice(0, 8)
        .map((u) => `not in projection_errors: ${u.projector} @${u.partition}:${u.offset}`),
    ],
  });

  assertVerdict(verdict);
});
