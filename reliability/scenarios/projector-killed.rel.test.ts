import { createDb } from '@novamed-stream/db';
import { appendAsIngress, createTestDatabase } from '@novamed-stream/testkit';
import { afterAll, expect, it } from 'vitest';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { atScale } from '../harness/scale.js';
import {
  checkpointSum,
  checkReadModels,
  stateChecksum,
  topicEnd,
  waitCaughtUp,
} from '../harness/verify.js';

const EVENTS = atScale(20_000, 50_000);
/** Share of the events appended a second time (NovaMed's redeliveries). */
const REDELIVERED = 0.05;
const KILLS = 5;

let env: ScenarioEnvironment | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  await env?.close();
});

it('2. projector SIGKILLed 5 times during a replay: the state equals a clean rebuild', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'projector-killed', seed: 22 });
  const { db, kafka, topic } = env;
  const events = env.feed.take(EVENTS);
  const redelivered = events.filter((_, i) => i % Math.round(1 / REDELIVERED) === 7);
  await appendAsIngress(kafka, topic, [...events, ...redelivered]);
  const end = Number(await topicEnd(kafka, topic));

  // The orders projector replays the topic from offset 0 and is SIGKILLed at spread points.
  // Fetches of 64 KiB per partition: batches of ~200 events, so kills land all along the replay.
  const orders = await env.projector('orders', {
    label: 'orders-killed',
    env: { FETCH_MAX_BYTES_PER_PARTITION: String(64 * 1024) },
  });
  const killedAt: number[] = [];
  for (let k = 1; k <= KILLS; k++) {
    await orders.start();
    // Kill each process once it has applied something of its own and the replay reached the
    // next k/(KILLS+1) of the topic, so the kills spread over the whole replay (with 64 KiB
    // fetches the checkpoints move ~200 events at a time), mostly inside a batch transaction.
    const before = killedAt.at(-1) ?? 0;
    const mark = Math.max(before + 1, Math.floor((end * k) / (KILLS + 1)));
    const deadline = Date.now() + 120_000;
    while (Number(await checkpointSum(db, 'orders', topic)) < mark && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await orders.kill();
    killedAt.push(Number(await checkpointSum(db, 'orders', topic)));
  }
  await orders.start();
  await waitCaughtUp(db, kafka, topic, ['orders'], 240_000);
  const exitCode = await orders.stop();

  // A clean rebuild: the same service, never killed, into a fresh database.
  const clean = await createTestDatabase('rel_clean_rebuild');
  cleanups.push(() => clean.drop());
  const cleanDb = createDb({ connectionString: clean.url });
  cleanups.unshift(() => cleanDb.destroy());
  const rebuild = await env.projector('orders', {
    label: 'orders-clean-rebuild',
    databaseUrl: clean.url,
  });
  await rebuild.start();
  await waitCaughtUp(cleanDb, kafka, topic, ['orders'], 240_000);
  await rebuild.stop();

  const killed = await stateChecksum(db, 'orders');
  const reference = await stateChecksum(cleanDb, 'orders');
  const check = await checkReadModels(db, events, events, ['orders']);
  const sweep = env.sweep();
  // Kills that landed mid-replay, each after the previous one's point.
  const midStream = killedAt.filter((n, i) => n > (killedAt[i - 1] ?? 0) && n < end).length;
  const verdict = recordScenario({
    number: 2,
    title: 'Projector killed during a replay',
    did: {
      'messages replayed': end,
      'of them redeliveries': redelivered.length,
      'SIGKILLs mid-stream': midStream,
    },
    found: {
      rows: killed.rows,
      'checksum equals clean rebuild': killed.checksum === reference.checksum ? 'yes' : 'NO',
      lost: check.lost,
      duplicated: check.doubleApplied,
      'rows wrong': check.mismatchedRows,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria: 'checksum of every row equals a clean rebuild; duplicates 0',
    checks: {
      'every kill landed mid-replay': () =>
        expect(midStream, `killed at ${killedAt} of ${end}`).toBe(KILLS),
      'the last process exited 0': () => expect(exitCode).toBe(0),
      'checksum and rows equal a clean rebuild': () => expect(killed).toEqual(reference),
      'read models: lost 0, applied twice 0, rows wrong 0': () =>
        expect(check).toMatchObject({ lost: 0, doubleApplied: 0, mismatchedRows: 0 }),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
    },
    seconds: secondsSince(started),
    notes: [`killed at checkpoints ${killedAt.join(', ')} of ${end}`],
  });

  assertVerdict(verdict);
});
