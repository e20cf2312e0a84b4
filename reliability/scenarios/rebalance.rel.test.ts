import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { atScale } from '../harness/scale.js';
import { Progress, sendLikeNovaMed } from '../harness/sender.js';
import { checkReadModels, waitCaughtUp } from '../harness/verify.js';

const EVENTS = atScale(3000, 10_000);
const RATE = atScale(150, 250);

let env: ScenarioEnvironment | undefined;
afterAll(async () => {
  await env?.close();
});

/** Partition sets a projector log shows it was assigned (one entry per assignment). */
function assignments(logFile: string): number[][] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('partitions assigned'))
    .map((l) => (JSON.parse(l) as { partitions: number[] }).partitions);
}

it('4. projector scaled 1 -> 2 -> 1 during load: no double effects', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'rebalance', seed: 44 });
  const ingress = await env.ingress();
  const first = await env.projector('orders', { label: 'orders-a' });
  const second = await env.projector('orders', { label: 'orders-b' });
  await first.start();
  const events = env.feed.take(EVENTS);
  const progress = new Progress();
  const load = sendLikeNovaMed(events, {
    url: () => ingress.webhookUrl,
    apiKey: env.apiKey,
    concurrency: 16,
    ratePerSecond: RATE,
    onAcknowledged: progress.tick,
  });
  await progress.reach(Math.floor(EVENTS * 0.25));
  await second.start();
  const scaledUpAt = progress.count;
  // Wait until the group spread over both, then scale down while the load goes on.
  const deadline = Date.now() + 60_000;
  while (
    assignments(second.logFile).every((p) => p.length === 0) &&
    Date.now() < deadline &&
    progress.count < EVENTS * 0.8
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const scaledDownAt = progress.count;
  const firstExit = await first.stop();
  const { report, acknowledged } = await load;

  await waitCaughtUp(env.db, env.kafka, env.topic, ['orders'], 240_000);
  const check = await checkReadModels(env.db, events, acknowledged, ['orders']);
  const sweep = env.sweep();
  const a = assignments(first.logFile);
  const b = assignments(second.logFile);
  const shared = (b.at(0)?.length ?? 0) > 0 && a.some((p) => p.length > 0 && p.length < 6);
  const verdict = recordScenario({
    number: 4,
    title: 'Rebalance: projector scaled 1 -> 2 -> 1',
    did: {
      events: EVENTS,
      'rate/s': RATE,
      'scaled up at': scaledUpAt,
      'scaled down at': scaledDownAt,
      rebalances: a.length + b.length,
    },
    found: {
      '200s': report.acknowledged,
      'partitions shared': shared ? 'yes' : 'NO',
      lost: check.lost,
      'double effects': check.doubleApplied,
      'rows wrong': check.mismatchedRows,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria: 'both instances held partitions; double effects 0; lost 0',
    checks: {
      'both instances held partitions': () =>
        expect(shared, `a ${JSON.stringify(a)}, b ${JSON.stringify(b)}`).toBe(true),
      'the first instance exited 0': () => expect(firstExit).toBe(0),
      'every event got a 200': () => expect(report.acknowledged).toBe(EVENTS),
      'read models: lost 0, applied twice 0, rows wrong 0': () =>
        expect(check).toMatchObject({ lost: 0, doubleApplied: 0, mismatchedRows: 0 }),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
    },
    seconds: secondsSince(started),
    notes: [`assignments: a ${JSON.stringify(a)}, b ${JSON.stringify(b)}`],
  });

  assertVerdict(verdict);
});
