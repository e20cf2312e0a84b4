import { afterAll, expect, it } from 'vitest';
import type { CanaryEvent } from '../harness/canary.js';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { atScale } from '../harness/scale.js';
import { Progress, sendLikeNovaMed } from '../harness/sender.js';
import { readTopicCopies } from '../harness/topic-copies.js';
import { checkReadModels, PROJECTOR_NAMES, waitCaughtUp } from '../harness/verify.js';

const EVENTS = atScale(3000, 10_000);
const RATE = atScale(200, 250);
const KILLS = 2;
const DOWN_MS = 2000;

let env: ScenarioEnvironment | undefined;
afterAll(async () => {
  await env?.close();
});

it('1. broker SIGKILLed twice under load: every 200 is in the read models exactly once', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'broker-killed', dedicatedBroker: true });
  const broker = env.broker;
  if (!broker) throw new Error('no dedicated broker');
  const ingress = await env.ingress();
  const projectors = await env.startProjectors();

  const events: CanaryEvent[] = env.feed.take(EVENTS);
  const progress = new Progress();
  const load = sendLikeNovaMed(events, {
    url: () => ingress.webhookUrl,
    apiKey: env.apiKey,
    concurrency: 32,
    ratePerSecond: RATE,
    onAcknowledged: progress.tick,
  });
  const kills: Array<{ atAcknowledged: number; downMs: number; restartMs: number }> = [];
  for (let k = 1; k <= KILLS; k++) {
    await progress.reach(Math.floor((EVENTS * k) / (KILLS + 1.5)));
    const atAcknowledged = progress.count;
    const down = performance.now();
    await broker.kill();
    await new Promise((r) => setTimeout(r, DOWN_MS));
    const restart = performance.now();
    await broker.start();
    kills.push({
      atAcknowledged,
      downMs: Math.round(performance.now() - down),
      restartMs: Math.round(performance.now() - restart),
    });
  }
  const { report, acknowledged } = await load;

  await waitCaughtUp(env.db, env.kafka, env.topic, PROJECTOR_NAMES, 240_000);
  const check = await checkReadModels(env.db, events, acknowledged);
  const topic = await readTopicCopies(env.kafka, env.topic);
  const acknowledgedIds = new Set(acknowledged.map((e) => e.eventId));
  const missingOnTopic = [...acknowledgedIds].filter((id) => !topic.copies.has(id)).length;
  const extraCopies = [...topic.copies.values()].reduce((n, c) => n + c - 1, 0);
  const projectorCrashes = projectors.reduce((n, p) => n + p.exits.length, 0);
  const sweep = env.sweep();

  const verdict = recordScenario({
    number: 1,
    title: 'Broker killed under load',
    did: {
      events: EVENTS,
      'rate/s': RATE,
      'broker SIGKILLs': kills.length,
      requests: report.attempts,
    },
    found: {
      '200s': report.acknowledged,
      '503s': report.statuses['503'] ?? 0,
      'no answer': report.networkErrors,
      lost: check.lost + missingOnTopic,
      duplicated: check.doubleApplied,
      'rows wrong': check.mismatchedRows,
      'extra copies on topic': extraCopies,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria: 'all events get a 200; lost 0; duplicated 0; every row equals the independent oracle',
    checks: {
      'each kill landed mid-load': () =>
        expect(kills.map((k) => k.atAcknowledged).every((n) => n > 0 && n < EVENTS)).toBe(true),
      // The kills hit the load: some requests failed and were retried.
      'the kills failed some requests': () =>
        expect((report.statuses['503'] ?? 0) + report.networkErrors).toBeGreaterThan(0),
      'every event got a 200': () => expect(report.acknowledged).toBe(EVENTS),
      'every 200 is on the topic': () => expect(missingOnTopic).toBe(0),
      'read models: lost 0, applied twice 0, rows wrong 0': () =>
        expect(check).toMatchObject({ lost: 0, doubleApplied: 0, mismatchedRows: 0 }),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
      'no projector process exited': () => expect(projectorCrashes).toBe(0),
    },
    seconds: secondsSince(started),
    notes: [
      `kills at ${kills.map((k) => `${k.atAcknowledged} acknowledged (down ${k.downMs} ms, restart ${k.restartMs} ms)`).join('; ')}`,
      `projector processes exited during the run: ${projectorCrashes}`,
      `logs swept: ${sweep.files} files, ${sweep.lines} lines`,
    ],
  });

  assertVerdict(verdict);
});
