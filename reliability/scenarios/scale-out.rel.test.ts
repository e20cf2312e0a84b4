import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import { aggregateOf, EVENTS_TOPIC, type NovaMedEvent } from '@novamed-stream/events';
import { plannedStage } from '@novamed-stream/oracle';
import {
  createTestDatabase,
  generateEventMix,
  type ProjectorProcess,
  type RunningSystem,
  startSystem,
  uniqueName,
} from '@novamed-stream/testkit';
import type { Kysely } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import type { CanaryEvent } from '../harness/canary.js';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { atScale } from '../harness/scale.js';
import { Progress, type SendReport, sendLikeNovaMed } from '../harness/sender.js';
import { readTopicCopies } from '../harness/topic-copies.js';
import {
  checkReadModels,
  PROJECTOR_NAMES,
  type ProjectorName,
  type ReadModelsCheck,
  stateChecksum,
  waitCaughtUp,
} from '../harness/verify.js';

/** Deliveries (redeliveries included) of the deterministic mix, at least; sent to each setup. */
const MESSAGES = atScale(3000, 12_000);
const RATE = atScale(150, 250);
/** Share of events NovaMed delivers a second time (same event_id and bytes, later). */
const REDELIVERED = 0.1;
const INSTANCES = 2;
/** The projector one of whose two instances is SIGKILLed mid-run. */
const KILLED: ProjectorName = 'orders';
/** Short sessions, so the group notices the SIGKILLed member within seconds. */
const PROJECTOR_ENV = { KAFKA_SESSION_TIMEOUT_MS: '6000' };
const KIND = {
  orders: 'order',
  medication_requests: 'medication_request',
  refills: 'refill',
} as const satisfies Record<ProjectorName, string>;

const ID_FIELD = {
  order: 'order_id',
  medication_request: 'medication_request_id',
  refill: 'refill_id',
} as const;

let env: ScenarioEnvironment | undefined;
const systems: RunningSystem[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const system of systems) await system.stop().catch(() => undefined);
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  await env?.close();
});

/** Partition sets a projector log shows it was assigned (one entry per assignment). */
function assignments(logFile: string): number[][] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('partitions assigned'))
    .map((l) => (JSON.parse(l) as { partitions: number[] }).partitions);
}

/** Polls every 100 ms until `done()` or `timeoutMs`; resolves whether it got there. */
async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** Webhook 200s an ingress instance answered, from its own /metrics. */
async function webhook200s(ingressUrl: string): Promise<number> {
  const text = await fetch(`${ingressUrl}/metrics`).then((r) => r.text());
  return text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('http_requests_total{') &&
        l.includes('route="/webhooks/novamed"') &&
        l.includes('status="200"'),
    )
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** The mix's distinct events in the shape the read-model check takes. */
function distinctEvents(bodies: readonly string[]): CanaryEvent[] {
  const seen = new Map<string, CanaryEvent>();
  for (const body of bodies) {
    const event = JSON.parse(body) as NovaMedEvent;
    const kind = aggregateOf(event.event_type);
    if (!kind) throw new Error(`no aggregate for ${event.event_type}`);
    const aggregateId = String((event.data as Record<string, unknown>)[ID_FIELD[kind]]);
    seen.set(event.event_id, {
      event,
      body,
      eventId: event.event_id,
      kind,
      aggregateId,
      stage: plannedStage(event),
    });
  }
  return [...seen.values()];
}

/** One setup's outcome: what its sender saw, and its read models once caught up. */
interface SetupRun {
  report: SendReport;
  acknowledgedIds: Set<string>;
  check: ReadModelsCheck;
  checksums: Record<ProjectorName, { rows: number; checksum: string }>;
}

/** What only the two-of-each run has: the instances, the kill and the takeover. */
interface ScaledRun extends SetupRun {
  /** Per projector, each instance's partitions before the load. */
  assignedBefore: Record<string, number[][]>;
  spread: boolean;
  /** Webhook 200s answered by each ingress instance. */
  perIngress: number[];
  killedAt: number;
  victimSignal: string | null | undefined;
  tookOver: boolean;
  rebalanceMs: number;
  recordsOnTopic: number;
  missingOnTopic: number;
  /** Processes other than the SIGKILLed one that exited during the run. */
  otherExits: number;
}

/** Checks a setup's read models against the events (after it caught up). */
async function finish(
  db: Kysely<Database>,
  events: readonly CanaryEvent[],
  sent: { report: SendReport; acknowledged: readonly { body: string }[] },
): Promise<SetupRun> {
  const acknowledgedIds = new Set(
    sent.acknowledged.map((d) => (JSON.parse(d.body) as { event_id: string }).event_id),
  );
  const acknowledged = events.filter((e) => acknowledgedIds.has(e.eventId));
  const check = await checkReadModels(db, events, acknowledged);
  const checksums = {} as SetupRun['checksums'];
  for (const name of PROJECTOR_NAMES) checksums[name] = await stateChecksum(db, name);
  return { report: sent.report, acknowledgedIds, check, checksums };
}

/**
 * Two ingress instances and two of each projector on the scenario's topic and database; the
 * deliveries split round-robin over the ingresses, as a load balancer would (a retry may land
 * on the other one); one orders instance SIGKILLed at 40% of the 200s.
 */
async function twoOfEach(
  env: ScenarioEnvironment,
  deliveries: readonly { body: string }[],
  events: readonly CanaryEvent[],
  partitions: number,
): Promise<ScaledRun> {
  const scaled = await startSystem({
    logDir: env.logDir,
    databaseUrl: env.databaseUrl,
    brokers: env.brokers,
    eventsTopic: env.topic,
    quarantineTopic: env.quarantineTopic,
    webhookKeys: [env.apiKey],
    instances: { ingress: INSTANCES, projectors: INSTANCES },
    env: { projectors: PROJECTOR_ENV },
  });
  systems.push(scaled);
  const instancesOf = (name: ProjectorName) =>
    (scaled.projectorInstances[name] ?? []) as ProjectorProcess[];
  // Each group spreads over its two instances before the load (the second joins a moment later).
  const spread = await waitFor(
    () =>
      PROJECTOR_NAMES.every((name) =>
        instancesOf(name).every((p) => (assignments(p.logFile).at(-1)?.length ?? 0) > 0),
      ),
    60_000,
  );
  const assignedBefore = Object.fromEntries(
    PROJECTOR_NAMES.map((name) => [
      name,
      instancesOf(name).map((p) => assignments(p.logFile).at(-1) ?? []),
    ]),
  );

  const urls = scaled.ingresses.map((i) => i.webhookUrl);
  let turn = 0;
  const progress = new Progress();
  const load = sendLikeNovaMed(deliveries, {
    url: () => urls[turn++ % urls.length] as string,
    apiKey: env.apiKey,
    concurrency: 16,
    ratePerSecond: RATE,
    onAcknowledged: progress.tick,
  });
  await progress.reach(Math.floor(deliveries.length * 0.4));
  const [survivor, victim] = instancesOf(KILLED);
  if (!survivor || !victim) throw new Error(`${KILLED} has no two instances`);
  const killedAt = progress.count;
  const survivorAssignments = assignments(survivor.logFile).length;
  const killTime = performance.now();
  await victim.kill();
  // The group rebalances once the dead member's session expires: the survivor takes them all.
  const tookOver = await waitFor(
    () =>
      assignments(survivor.logFile)
        .slice(survivorAssignments)
        .some((p) => p.length === partitions),
    60_000,
  );
  const rebalanceMs = Math.round(performance.now() - killTime);
  const sent = await load;
  const perIngress = await Promise.all(scaled.ingresses.map((i) => webhook200s(i.url)));
  await waitCaughtUp(env.db, env.kafka, env.topic, PROJECTOR_NAMES, 240_000);
  const run = await finish(env.db, events, sent);
  const onTopic = await readTopicCopies(env.kafka, env.topic);
  const otherExits = scaled.processes.filter((p) => p !== victim && p.exits.length > 0).length;
  await scaled.stop();
  return {
    ...run,
    assignedBefore,
    spread,
    perIngress,
    killedAt,
    victimSignal: victim.exits.at(0)?.signal,
    tookOver,
    rebalanceMs,
    recordsOnTopic: onTopic.records,
    missingOnTopic: [...run.acknowledgedIds].filter((id) => !onTopic.copies.has(id)).length,
    otherExits,
  };
}

/** The reference: one instance of each, the same deliveries, a topic and database of its own. */
async function oneOfEach(
  env: ScenarioEnvironment,
  deliveries: readonly { body: string }[],
  events: readonly CanaryEvent[],
): Promise<SetupRun> {
  const reference = await createTestDatabase('rel_scale_out_one');
  cleanups.push(() => reference.drop());
  const db = createDb({ connectionString: reference.url });
  cleanups.unshift(() => db.destroy());
  await migrateToLatest(db);
  const topic = uniqueName(`${EVENTS_TOPIC}.rel-scale-out-one`);
  const single = await startSystem({
    logDir: join(env.logDir, 'one-instance'),
    databaseUrl: reference.url,
    brokers: env.brokers,
    eventsTopic: topic,
    webhookKeys: [env.apiKey],
    env: { projectors: PROJECTOR_ENV },
  });
  systems.push(single);
  const sent = await sendLikeNovaMed(deliveries, {
    url: () => single.ingress.webhookUrl,
    apiKey: env.apiKey,
    concurrency: 16,
    ratePerSecond: RATE,
  });
  await waitCaughtUp(db, env.kafka, topic, PROJECTOR_NAMES, 240_000);
  const run = await finish(db, events, sent);
  await single.stop();
  return run;
}

it('12. scale-out: two ingress instances, two of each projector (one SIGKILLed): the rows of one instance each', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'scale-out', seed: 12 });
  const admin = env.kafka.admin();
  await admin.connect();
  const metadata = await admin.fetchTopicMetadata({ topics: [env.topic] });
  await admin.disconnect();
  const partitions = metadata.topics[0]?.partitions.length ?? 0;

  const runId = `so${randomBytes(3).toString('hex')}`;
  const mix = generateEventMix({ runId, messages: MESSAGES, duplicateRate: REDELIVERED, seed: 12 });
  const deliveries = mix.messages.map((m) => ({ body: m.value.toString('utf8') }));
  const events = distinctEvents(deliveries.map((d) => d.body));
  // The mix rounds up to whole journeys: a few more than MESSAGES.
  const sent = deliveries.length;
  const two = await twoOfEach(env, deliveries, events, partitions);
  const one = await oneOfEach(env, deliveries, events);

  const sameRows = PROJECTOR_NAMES.filter(
    (name) =>
      two.checksums[name].checksum === one.checksums[name].checksum &&
      two.checksums[name].rows === one.checksums[name].rows,
  );
  const sweep = env.sweep([{ label: 'the mix patient ids', value: `pat_${runId}_` }]);
  const bothIngresses = two.perIngress.every((n) => n > 0);
  const allShared = Object.values(two.assignedBefore).every((sets) =>
    sets.every((p) => p.length > 0),
  );
  const verdict = recordScenario({
    number: 12,
    title: 'Scale-out: two of each service, one projector SIGKILLed',
    did: {
      deliveries: sent,
      'distinct events': events.length,
      redeliveries: sent - events.length,
      'rate/s': RATE,
      partitions,
      'ingress instances': INSTANCES,
      'instances per projector': INSTANCES,
      [`${KILLED} instance SIGKILLed at`]: two.killedAt,
    },
    found: {
      '200s (two of each)': two.report.acknowledged,
      '200s per ingress': two.perIngress.join(' / '),
      '200s (one of each)': one.report.acknowledged,
      'read models with the same rows as one of each': `${sameRows.length} of ${PROJECTOR_NAMES.length}`,
      rows: PROJECTOR_NAMES.map((n) => two.checksums[n].rows).join(' / '),
      'survivor took all partitions': two.tookOver
        ? `yes, ${two.rebalanceMs} ms after the kill`
        : 'NO',
      lost: two.check.lost + two.missingOnTopic,
      'applied twice': two.check.doubleApplied,
      'rows wrong': two.check.mismatchedRows,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria:
      'every read model has the same rows (checksum) as one instance of each on the same ' +
      'events; lost 0, applied twice 0; both instances held partitions; the survivor takes ' +
      'over after the SIGKILL',
    checks: {
      'the topic has 6 partitions': () => expect(partitions).toBe(6),
      'both instances of each projector held partitions': () => {
        expect(two.spread, JSON.stringify(two.assignedBefore)).toBe(true);
        expect(allShared, JSON.stringify(two.assignedBefore)).toBe(true);
      },
      'both ingresses answered 200s': () =>
        expect(bothIngresses, `200s per ingress ${two.perIngress}`).toBe(true),
      'the survivor took over after the SIGKILL': () => {
        expect(two.tookOver).toBe(true);
        expect(two.victimSignal).toBe('SIGKILL');
      },
      'every delivery got a 200': () => {
        expect(two.report.acknowledged).toBe(sent);
        expect(one.report.acknowledged).toBe(sent);
      },
      'every 200 is on the topic': () => expect(two.missingOnTopic).toBe(0),
      'the same rows as one instance of each': () => expect(two.checksums).toEqual(one.checksums),
      'the rows the mix implies': () =>
        expect(PROJECTOR_NAMES.map((n) => two.checksums[n].rows)).toEqual(
          PROJECTOR_NAMES.map((n) => mix.aggregates[KIND[n]]),
        ),
      'read models: lost 0, applied twice 0, rows wrong 0 (both runs)': () => {
        for (const run of [two, one]) {
          expect(run.check).toMatchObject({ lost: 0, doubleApplied: 0, mismatchedRows: 0 });
        }
      },
      'no other process exited': () => expect(two.otherExits).toBe(0),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
    },
    seconds: secondsSince(started),
    notes: [
      `assignments before the load: ${JSON.stringify(two.assignedBefore)}`,
      `answers, two of each: ${JSON.stringify(two.report.statuses)}; one of each: ${JSON.stringify(one.report.statuses)}`,
      `one of each: lost ${one.check.lost}, applied twice ${one.check.doubleApplied}, rows wrong ${one.check.mismatchedRows}`,
      `records on the topic (two of each): ${two.recordsOnTopic} for ${sent} deliveries`,
      `logs swept: ${sweep.files} files, ${sweep.lines} lines`,
    ],
  });

  assertVerdict(verdict);
});
