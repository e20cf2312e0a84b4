import { afterAll, expect, it } from 'vitest';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { atScale } from '../harness/scale.js';
import { Progress, sendLikeNovaMed } from '../harness/sender.js';
import { readTopicCopies } from '../harness/topic-copies.js';
import { checkReadModels, PROJECTOR_NAMES, waitCaughtUp } from '../harness/verify.js';

const EVENTS = atScale(3000, 10_000);
const RATE = atScale(200, 250);

let env: ScenarioEnvironment | undefined;
afterAll(async () => {
  await env?.close();
});

it('5. ingress SIGKILLed and SIGTERMed during load: no event with a 200 is lost', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'ingress-killed', seed: 55 });
  const ingress = await env.ingress();
  await env.startProjectors();
  const events = env.feed.take(EVENTS);
  const progress = new Progress();
  const load = sendLikeNovaMed(events, {
    url: () => ingress.webhookUrl,
    apiKey: env.apiKey,
    concurrency: 32,
    ratePerSecond: RATE,
    onAcknowledged: progress.tick,
  });
  const faults: string[] = [];
  const exitCodes: Array<number | null> = [];
  const plan: NodeJS.Signals[] = ['SIGKILL', 'SIGTERM', 'SIGKILL', 'SIGTERM'];
  for (const [i, signal] of plan.entries()) {
    await progress.reach(Math.floor((EVENTS * (i + 1)) / (plan.length + 1.5)));
    const at = progress.count;
    const down = performance.now();
    exitCodes.push(await (signal === 'SIGKILL' ? ingress.process.kill() : ingress.process.stop()));
    await ingress.process.start();
    faults.push(
      `${signal} at ${at} acknowledged (back in ${Math.round(performance.now() - down)} ms)`,
    );
  }
  const { report, acknowledged } = await load;

  const topic = await readTopicCopies(env.kafka, env.topic);
  const missingOnTopic = acknowledged.filter((e) => !topic.copies.has(e.eventId)).length;
  const extraCopies = [...topic.copies.values()].reduce((n, c) => n + c - 1, 0);
  await waitCaughtUp(env.db, env.kafka, env.topic, PROJECTOR_NAMES, 240_000);
  const check = await checkReadModels(env.db, events, acknowledged);
  const sweep = env.sweep();
  // SIGTERM is a graceful shutdown: exit 0. SIGKILL: no exit code.
  const gracefulOk = exitCodes.filter((_, i) => plan[i] === 'SIGTERM').every((c) => c === 0);
  const verdict = recordScenario({
    number: 5,
    title: 'Ingress killed and restarted',
    did: {
      events: EVENTS,
      'rate/s': RATE,
      SIGKILLs: plan.filter((s) => s === 'SIGKILL').length,
      SIGTERMs: plan.filter((s) => s === 'SIGTERM').length,
      requests: report.attempts,
    },
    found: {
      '200s': report.acknowledged,
      '503s': report.statuses['503'] ?? 0,
      'no answer': report.networkErrors,
      'lost (200 but not on the topic)': missingOnTopic,
      'lost in read models': check.lost,
      duplicated: check.doubleApplied,
      'extra copies on topic': extraCopies,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria: 'every 200 is on the topic and in the read models; SIGTERM exits 0',
    checks: {
      'the faults failed some requests': () =>
        expect(report.networkErrors + (report.statuses['503'] ?? 0)).toBeGreaterThan(0),
      'every SIGTERM exited 0': () => expect(gracefulOk, `exit codes ${exitCodes}`).toBe(true),
      'every event got a 200': () => expect(report.acknowledged).toBe(EVENTS),
      'every 200 is on the topic': () => expect(missingOnTopic).toBe(0),
      'read models: lost 0, applied twice 0, rows wrong 0': () =>
        expect(check).toMatchObject({ lost: 0, doubleApplied: 0, mismatchedRows: 0 }),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
    },
    seconds: secondsSince(started),
    notes: faults,
  });

  assertVerdict(verdict);
});
