import { readTopic } from '@novamed-stream/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import {
  assertVerdict,
  recordScenario,
  type ScenarioVerdict,
  secondsSince,
} from '../harness/report.js';
import { readTopicCopies } from '../harness/topic-copies.js';
import { BODY_LIMIT, FUZZ_RUNS, GROUPS } from './bad-input/bad-input-case.js';
import { badInputCases } from './bad-input/bad-input-cases.js';
import { judgeAnswers, judgeEventsTopic, judgeQuarantine } from './bad-input/judge-bad-input.js';
import { wrongKeys } from './bad-input/request-cases.js';
import { sendCases } from './bad-input/send-cases.js';

// Scenario 6: the cases (./bad-input/*-cases.ts) -> sent once each (send-cases.ts) -> judged
// (judge-bad-input.ts); this file runs them against a real ingress and records its checks.

let env: ScenarioEnvironment | undefined;
/** The recorded checks; each `it` below asserts its share of them. */
let verdict: ScenarioVerdict;

async function run(): Promise<ScenarioVerdict> {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'bad-input', seed: 66 });
  const e = env;
  const ingress = await e.ingress({
    env: {
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
      // This scenario is about input, not load: no 503 because a busy 2-core machine stalls.
      MAX_EVENT_LOOP_DELAY_MS: '0',
      APPEND_DEADLINE_MS: '4500',
    },
  });

  const cases = badInputCases(e.feed, e.apiKey);
  const sendStarted = performance.now();
  const answers = await sendCases(ingress.url, cases);
  const sendSeconds = secondsSince(sendStarted);

  const answered = judgeAnswers(cases, answers);
  const { distinct, wrong, casesPerGroup, earlyRefusalResets, fiveHundreds } = answered;
  const allWrong = [...wrong.values()].flat();
  const topic = await readTopicCopies(e.kafka, e.topic);
  const onTopic = judgeEventsTopic(cases, topic);
  const { leaks, missing, expectedRecords } = onTopic;
  const quarantined = await readTopic(e.kafka, e.quarantineTopic);
  const inQuarantine = judgeQuarantine(cases, quarantined);
  const {
    expectedQuarantined,
    unexpectedQuarantine,
    wrongReason,
    missingQuarantine,
    unauthInQuarantine,
    collisions,
  } = inQuarantine;

  const health = await fetch(`${ingress.url}/healthz`, {
    signal: AbortSignal.timeout(10_000),
  }).then(
    (r) => r.status,
    () => 0,
  );
  const crashes = ingress.process.exits.length;
  const sweep = e.sweep(
    wrongKeys(e.apiKey)
      .flatMap(([, headers]) => headers.map(([, v]) => Buffer.from(v).toString('latin1')))
      .filter((v) => v.length >= 16)
      .map((value, i) => ({ label: `presented key variant ${i}`, value })),
  );

  const groups = GROUPS.map((g) => {
    const n = wrong.get(g)?.length ?? 0;
    return `${g} ${casesPerGroup.get(g)}${n ? ` (${n} wrong)` : ''}`;
  });
  return recordScenario({
    number: 6,
    title: 'Bad input',
    did: {
      'table cases': cases.length - FUZZ_RUNS,
      'fuzz runs (fast-check, seed 20261128)': FUZZ_RUNS,
      'expected 200 (valid or stored by contract)': expectedRecords,
      'expected 4xx': cases.length - expectedRecords,
      'unauthenticated requests': cases.filter((c) => !c.authenticated).length,
      'body limit bytes': BODY_LIMIT,
      'send seconds': sendSeconds,
    },
    found: {
      requests: cases.length,
      'distinct cases': distinct,
      '5xx': fiveHundreds.length,
      'wrong answers': allWrong.length,
      '401/413 seen as a connection reset (large body)': earlyRefusalResets,
      'main-topic leaks': leaks,
      'accepted but missing on the main topic': missing,
      'main-topic records': `${topic.records} of ${expectedRecords} expected`,
      quarantined: `${quarantined.length} of ${expectedQuarantined} expected`,
      'quarantine: unexpected / wrong code': `${unexpectedQuarantine} / ${wrongReason}`,
      'unauthenticated in quarantine': unauthInQuarantine,
      crashes,
      '/healthz at the end': health,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria:
      'every case gets its status and error code; no 5xx; no crash; the events topic holds exactly the accepted events; the quarantine topic exactly the authenticated 400 bodies, never an unauthenticated one; no PHI or key in any log',
    checks: {
      'at least 200 cases': () => expect(cases.length).toBeGreaterThanOrEqual(200),
      'every case distinct': () => expect(distinct, 'every case is distinct').toBe(cases.length),
      ...Object.fromEntries(
        GROUPS.flatMap((group) => [
          [
            `${group}: has cases`,
            () => expect(casesPerGroup.get(group), 'cases in the group').toBeGreaterThan(0),
          ],
          [
            `${group}: every case gets its status and error code`,
            () =>
              expect(wrong.get(group), 'answers other than the expected status and code').toEqual(
                [],
              ),
          ],
        ]),
      ),
      'no 5xx': () => expect(fiveHundreds, '5xx answers').toEqual([]),
      'no ingress exit': () => expect(crashes, 'ingress exits').toBe(0),
      '/healthz 200 at the end': () => expect(health).toBe(200),
      'no events-topic leak': () =>
        expect(leaks, 'records on the events topic from rejected requests').toBe(0),
      'no accepted event missing on the events topic': () =>
        expect(missing, 'accepted events missing on the events topic').toBe(0),
      'events-topic records = accepted events': () => expect(topic.records).toBe(expectedRecords),
      'no quarantine key collision': () => expect(collisions).toBe(0),
      'no unauthenticated body in quarantine': () =>
        expect(unauthInQuarantine, 'unauthenticated bodies in quarantine').toBe(0),
      'quarantine: unexpected 0, wrong code 0, missing 0': () =>
        expect({ unexpectedQuarantine, wrongReason, missingQuarantine }).toEqual({
          unexpectedQuarantine: 0,
          wrongReason: 0,
          missingQuarantine: 0,
        }),
      'quarantined = expected': () => expect(quarantined.length).toBe(expectedQuarantined),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
    },
    seconds: secondsSince(started),
    notes: [
      `cases by group: ${groups.join(', ')}`,
      'MAX_EVENT_LOOP_DELAY_MS=0 and APPEND_DEADLINE_MS=4500: this scenario tests input handling, overload is scenario 7',
      ...allWrong.slice(0, 30),
      ...fiveHundreds.slice(0, 10),
    ],
  });
}

describe('6. bad input: hostile requests get their 4xx, never a 5xx; nothing hostile reaches the events topic', () => {
  beforeAll(async () => {
    verdict = await run();
  }, 900_000);
  afterAll(async () => {
    await env?.close();
  });

  it('sends at least 200 cases, all distinct', () => {
    assertVerdict(verdict, ['at least 200 cases', 'every case distinct']);
  });

  it.each(GROUPS)('%s: every case gets its status and error code', (group) => {
    assertVerdict(verdict, [
      `${group}: has cases`,
      `${group}: every case gets its status and error code`,
    ]);
  });

  it('no 5xx, no crash, /healthz 200 at the end', () => {
    assertVerdict(verdict, ['no 5xx', 'no ingress exit', '/healthz 200 at the end']);
  });

  it('the events topic holds exactly the accepted events, once each', () => {
    assertVerdict(verdict, [
      'no events-topic leak',
      'no accepted event missing on the events topic',
      'events-topic records = accepted events',
    ]);
  });

  it('the quarantine topic holds exactly the authenticated 400 bodies with their codes, never an unauthenticated one', () => {
    assertVerdict(verdict, [
      'no quarantine key collision',
      'no unauthenticated body in quarantine',
      'quarantine: unexpected 0, wrong code 0, missing 0',
      'quarantined = expected',
    ]);
  });

  it('no PHI or key in any log', () => {
    assertVerdict(verdict, ['no PHI or key in the logs']);
  });

  it('the recorded verdict is the conjunction of every check above', () => {
    assertVerdict(verdict);
  });
});
