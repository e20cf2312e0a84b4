import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import type { CanaryEvent } from '../harness/canary.js';
import { waitOffsetsCommitted } from '../harness/committed-offsets.js';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { atScale } from '../harness/scale.js';
import { Progress, sendLikeNovaMed } from '../harness/sender.js';
import { readTopicCopies } from '../harness/topic-copies.js';
import { checkReadModels, PROJECTOR_NAMES, waitCaughtUp } from '../harness/verify.js';

const EVENTS = atScale(3000, 10_000);
const RATE = atScale(200, 250);
const BROKER_DOWN_MS = 2000;
/** Committed offsets are coalesced once a second by default: they must catch up well within. */
const OFFSETS_CATCH_UP_MS = 30_000;

let env: ScenarioEnvironment | undefined;
afterAll(async () => {
  await env?.close();
});

/**
 * Waits (up to `timeoutMs`) for an open transaction of the orders projector, i.e. a batch being
 * applied, so the SIGKILL right after lands inside one; returns whether it saw one.
 */
async function ordersBatchInFlight(e: ScenarioEnvironment, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()
        and xact_start is not null and query ilike '%orders_v%'`.execute(e.db);
    if (Number(rows[0]?.n) > 0) return true;
  }
  return false;
}

/**
 * Starts the SIGKILLed broker again. After a SIGKILL it recovers its logs first, which on a
 * loaded two-core machine can outlast one start's 60 s readiness wait (the JVM is then
 * killed): one more start is tried. Returns the number of starts.
 */
async function restartBroker(broker: NonNullable<ScenarioEnvironment['broker']>): Promise<number> {
  try {
    await broker.start();
    return 1;
  } catch (error) {
    console.warn(`[reliability] scenario 13: broker restart failed, trying once more: ${error}`);
    await broker.start();
    return 2;
  }
}

it('13. background offset commits (the default) under faults: broker SIGKILLed and restarted, a projector SIGKILLed mid-batch: every 200 applied once, committed offsets catch up', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'fast-path-faults', dedicatedBroker: true, seed: 13 });
  const broker = env.broker;
  if (!broker) throw new Error('no dedicated broker');
  const ingress = await env.ingress();
  // The services' defaults: OFFSET_COMMIT_INTERVAL_MS is not set.
  const projectors = await env.startProjectors();
  const orders = projectors[PROJECTOR_NAMES.indexOf('orders')];
  if (!orders) throw new Error('no orders projector');

  const events: CanaryEvent[] = env.feed.take(EVENTS);
  const progress = new Progress();
  const load = sendLikeNovaMed(events, {
    url: () => ingress.webhookUrl,
    apiKey: env.apiKey,
    concurrency: 32,
    ratePerSecond: RATE,
    onAcknowledged: progress.tick,
  });

  await progress.reach(Math.floor(EVENTS / 3));
  const brokerKilledAt = progress.count;
  const down = performance.now();
  await broker.kill();
  await new Promise((r) => setTimeout(r, BROKER_DOWN_MS));
  const brokerStarts = await restartBroker(broker);
  const brokerDownMs = Math.round(performance.now() - down);

  await progress.reach(Math.floor((EVENTS * 2) / 3));
  const projectorKilledAt = progress.count;
  const midBatch = await ordersBatchInFlight(env, 10_000);
  await orders.kill();
  await orders.start();

  const { report, acknowledged } = await load;
  await waitCaughtUp(env.db, env.kafka, env.topic, PROJECTOR_NAMES, 240_000);
  const check = await checkReadModels(env.db, events, acknowledged);
  const topic = await readTopicCopies(env.kafka, env.topic);
  const acknowledgedIds = new Set(acknowledged.map((e) => e.eventId));
  const missingOnTopic = [...acknowledgedIds].filter((id) => !topic.copies.has(id)).length;
  // After healing, what lag tools read (the committed offsets) reaches what the projectors
  // resume from (the Postgres checkpoints).
  const offsets = await waitOffsetsCommitted(
    env.db,
    env.kafka,
    env.topic,
    PROJECTOR_NAMES,
    OFFSETS_CATCH_UP_MS,
  );
  const otherExits = projectors.filter((p) => p !== orders).reduce((n, p) => n + p.exits.length, 0);
  const sweep = env.sweep();

  const verdict = recordScenario({
    number: 13,
    title: 'Background offset commits under faults',
    did: {
      events: EVENTS,
      'rate/s': RATE,
      'broker SIGKILLs': 1,
      'projector SIGKILLs (orders, mid-batch)': 1,
      requests: report.attempts,
      OFFSET_COMMIT_INTERVAL_MS: 'default (1000)',
    },
    found: {
      '200s': report.acknowledged,
      '503s': report.statuses['503'] ?? 0,
      'no answer': report.networkErrors,
      lost: check.lost + missingOnTopic,
      'applied twice': check.doubleApplied,
      'rows wrong': check.mismatchedRows,
      'partitions whose committed offset differs from the checkpoint': offsets.gaps.length,
      'committed offsets caught up in (ms)': offsets.ms,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria:
      'all events get a 200; lost 0; applied twice 0; every row equals the expected; after healing the committed Kafka offsets equal the Postgres checkpoints',
    checks: {
      'the broker kill and the projector kill landed mid-load': () =>
        expect([brokerKilledAt, projectorKilledAt].every((n) => n > 0 && n < EVENTS)).toBe(true),
      'the projector was killed inside a batch transaction': () => expect(midBatch).toBe(true),
      'the orders projector exited once, by SIGKILL': () =>
        expect(orders.exits.map((x) => x.signal)).toEqual(['SIGKILL']),
      'no other projector process exited': () => expect(otherExits).toBe(0),
      'every event got a 200': () => expect(report.acknowledged).toBe(EVENTS),
      'every 200 is on the topic': () => expect(missingOnTopic).toBe(0),
      'read models: lost 0, applied twice 0, rows wrong 0': () =>
        expect(check).toMatchObject({ lost: 0, doubleApplied: 0, mismatchedRows: 0 }),
      'committed offsets equal the checkpoints': () => expect(offsets.gaps).toEqual([]),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
    },
    seconds: secondsSince(started),
    notes: [
      `broker SIGKILLed at ${brokerKilledAt} acknowledged, down ${brokerDownMs} ms (restart included, ${brokerStarts} start${brokerStarts > 1 ? 's' : ''})`,
      `orders projector SIGKILLed at ${projectorKilledAt} acknowledged, ${midBatch ? 'inside' : 'NOT seen inside'} a batch transaction`,
      ...offsets.gaps
        .slice(0, 10)
        .map(
          (g) =>
            `${g.projector} partition ${g.partition}: committed ${g.committed}, checkpoint ${g.checkpoint}`,
        ),
      `logs swept: ${sweep.files} files, ${sweep.lines} lines`,
    ],
  });
  assertVerdict(verdict);
});
