import { afterAll, expect, it } from 'vitest';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { scrapeMetric } from '../harness/metrics.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { atScale } from '../harness/scale.js';
import { Progress, sendLikeNovaMed } from '../harness/sender.js';
import { checkReadModels, PROJECTOR_NAMES, waitCaughtUp } from '../harness/verify.js';

const EVENTS = atScale(3000, 10_000);
const RATE = atScale(200, 250);
const DOWN_MS = 3000;

let env: ScenarioEnvironment | undefined;
afterAll(async () => {
  await env?.close();
});

it('3. Postgres restarted under load (a crash, then a clean restart): projectors pause and resume by themselves', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({
    name: 'postgres-restarted',
    dedicatedPostgres: true,
    seed: 33,
  });
  const postgres = env.postgres;
  if (!postgres) throw new Error('no dedicated Postgres');
  const ingress = await env.ingress();
  const projectors = await env.startProjectors();
  const events = env.feed.take(EVENTS);
  const progress = new Progress();
  const load = sendLikeNovaMed(events, {
    url: () => ingress.webhookUrl,
    apiKey: env.apiKey,
    concurrency: 16,
    ratePerSecond: RATE,
    onAcknowledged: progress.tick,
  });
  const outages: string[] = [];
  await progress.reach(Math.floor(EVENTS * 0.3));
  outages.push(`SIGKILL at ${progress.count} acknowledged, down ${DOWN_MS} ms`);
  await postgres.kill();
  await new Promise((r) => setTimeout(r, DOWN_MS));
  await postgres.start();
  await progress.reach(Math.floor(EVENTS * 0.65));
  outages.push(`clean stop at ${progress.count} acknowledged, down ${DOWN_MS} ms`);
  await postgres.stop();
  await new Promise((r) => setTimeout(r, DOWN_MS));
  await postgres.start();
  const { report, acknowledged } = await load;

  await waitCaughtUp(env.db, env.kafka, env.topic, PROJECTOR_NAMES, 240_000);
  const retries = (
    await Promise.all(
      projectors.map((p) =>
        scrapeMetric(
          p.healthUrl.replace('/healthz', '/metrics'),
          'projector_database_retries_total',
        ),
      ),
    )
  ).reduce((a, b) => a + b, 0);
  const restarts = projectors.reduce((n, p) => n + p.exits.length, 0);
  const check = await checkReadModels(env.db, events, acknowledged);
  const sweep = env.sweep();
  const verdict = recordScenario({
    number: 3,
    title: 'Postgres restarted under load',
    did: { events: EVENTS, 'rate/s': RATE, 'Postgres outages': outages.length },
    found: {
      '200s': report.acknowledged,
      'projector database retries': retries,
      'projector processes that exited': restarts,
      lost: check.lost,
      duplicated: check.doubleApplied,
      'rows wrong': check.mismatchedRows,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria: 'projectors resume by themselves (no process exits); lost 0; duplicated 0',
    checks: {
      'the outages reached the projectors': () =>
        expect(retries, 'the outages reached the projectors').toBeGreaterThan(0),
      'no projector process exited': () => expect(restarts).toBe(0),
      'every event got a 200': () => expect(report.acknowledged).toBe(EVENTS),
      'read models: lost 0, applied twice 0, rows wrong 0': () =>
        expect(check).toMatchObject({ lost: 0, doubleApplied: 0, mismatchedRows: 0 }),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
    },
    seconds: secondsSince(started),
    notes: outages,
  });

  assertVerdict(verdict);
});
