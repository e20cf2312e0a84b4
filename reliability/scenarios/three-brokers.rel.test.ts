import http from 'node:http';
import { pollUntil } from '@novamed-stream/service-kit';
import type { Admin } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import type { CanaryEvent } from '../harness/canary.js';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { RequestTimeline } from '../harness/request-timeline.js';
import { atScale } from '../harness/scale.js';
import { Progress, postAndRead, sendLikeNovaMed } from '../harness/sender.js';
import { readTopicCopies } from '../harness/topic-copies.js';
import { checkReadModels, PROJECTOR_NAMES, waitCaughtUp } from '../harness/verify.js';

/** At least this many events; the load goes on until both kill/restart cycles are done. */
const MIN_EVENTS = atScale(2000, 10_000);
const RATE = atScale(150, 250);
/** Events the load may take: four minutes at RATE, far more than the kills need. */
const POOL = RATE * 240;
/** Events acknowledged after a node is back before the next kill (and before the load stops). */
const BETWEEN = atScale(300, 1000);
const KILLS = 2;
const DOWN_MS = 2000;
/** Single tries while two of three nodes are down: each must be a 503, never a 200. */
const PROBES = atScale(5, 20);

let env: ScenarioEnvironment | undefined;
afterAll(async () => {
  await env?.close();
});

/** One leader kill and restart, and the requests around it. */
interface Kill {
  node: number;
  atAcknowledged: number;
  acknowledgedWhenBack: number;
  /** Requests started and not answered at the SIGKILL. */
  inFlightAtKill: number;
  /** Requests in flight at some moment between the SIGKILL and the node being back. */
  inFlightDuring: number;
  /** Answers that came while the node was down, by status. */
  answersDuring: Record<string, number>;
  recoverMs: number;
}

/** Leader node id per partition of `topic`. */
async function leaders(admin: Admin, topic: string): Promise<Map<number, number>> {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return new Map((metadata.topics[0]?.partitions ?? []).map((p) => [p.partitionId, p.leader]));
}

/** Leaders per partition once `node` leads none of them (at most 30 s). */
async function leadersWithout(
  admin: Admin,
  topic: string,
  node: number,
): Promise<Map<number, number>> {
  const outcome = await pollUntil(
    async () => {
      const current = await leaders(admin, topic);
      return [...current.values()].some((leader) => leader === node || leader < 0)
        ? { status: 'wait', reason: `node ${node} still leads, or a partition has no leader` }
        : { status: 'done', value: current };
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  if (!outcome.ok) throw new Error(`leadership did not move off node ${node}: ${outcome.detail}`);
  return outcome.value;
}

/** The leader of the partition with the most messages: the one a kill hurts most. */
async function busiestLeader(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const busiest = [...offsets].sort((a, b) => Number(BigInt(b.high) - BigInt(a.high)))[0];
  const leader = (await leaders(admin, topic)).get(busiest?.partition ?? 0);
  if (leader === undefined || leader < 0) throw new Error('the busiest partition has no leader');
  return leader;
}

it('11. three brokers: leader SIGKILLed twice, then 2 of 3 down: every 200 kept once, 503 without quorum', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'three-brokers', dedicatedCluster: true });
  const cluster = env.cluster;
  if (!cluster) throw new Error('no dedicated cluster');
  const admin = env.kafka.admin();
  await admin.connect();
  try {
    const ingress = await env.ingress();
    const projectors = await env.startProjectors();

    // Phase 1: the busiest partition's leader SIGKILLed twice under load, and brought back. The
    // load runs until both cycles are done (a fixed count ended before the second kill at quick
    // scale), so each kill and restart happens while requests are flowing.
    const pool: CanaryEvent[] = env.feed.take(POOL);
    const progress = new Progress();
    const timeline = new RequestTimeline();
    const stopLoad = new AbortController();
    const load = sendLikeNovaMed(pool, {
      url: () => {
        timeline.started();
        return ingress.webhookUrl;
      },
      apiKey: env.apiKey,
      concurrency: 32,
      ratePerSecond: RATE,
      onAcknowledged: progress.tick,
      onAnswer: timeline.answered,
      signal: stopLoad.signal,
    });
    let leaderChanges = 0;
    const kills: Kill[] = [];
    for (let k = 1; k <= KILLS; k++) {
      const previous = kills.at(-1);
      await progress.reach(
        previous ? previous.acknowledgedWhenBack + BETWEEN : Math.floor(MIN_EVENTS / 4),
      );
      const node = await busiestLeader(admin, env.topic);
      const before = await leaders(admin, env.topic);
      const atAcknowledged = progress.count;
      const down = timeline.now();
      await cluster.node(node).kill();
      // The controller moves leadership once it fences the dead node (broker session 3 s).
      const after = await leadersWithout(admin, env.topic, node);
      leaderChanges += [...before].filter(([p, l]) => after.get(p) !== l).length;
      const elapsed = timeline.now() - down;
      if (elapsed < DOWN_MS) await new Promise((r) => setTimeout(r, DOWN_MS - elapsed));
      await cluster.startNode(node);
      const back = timeline.now();
      kills.push({
        node,
        atAcknowledged,
        acknowledgedWhenBack: progress.count,
        inFlightAtKill: timeline.inFlightAt(down),
        inFlightDuring: timeline.overlapping(down, back),
        answersDuring: timeline.answersBetween(down, back),
        recoverMs: Math.round(back - down),
      });
    }
    await progress.reach(Math.max(MIN_EVENTS, progress.count + BETWEEN));
    stopLoad.abort();
    const { report, acknowledged } = await load;
    const events = pool.slice(0, report.events);

    // Phase 2: two of three nodes down: acks=all cannot be met, so no 200 may come back.
    const survivor = await busiestLeader(admin, env.topic);
    const stopped = [1, 2, 3].filter((id) => id !== survivor);
    await Promise.all(stopped.map((id) => cluster.node(id).kill()));
    const agent = new http.Agent({ keepAlive: true });
    const probes = env.feed.take(PROBES);
    const probeStatuses: Record<string, number> = {};
    for (const probe of probes) {
      const answer = await postAndRead(agent, ingress.webhookUrl, env.apiKey, probe.body, 15_000);
      probeStatuses[answer.status] = (probeStatuses[answer.status] ?? 0) + 1;
    }
    // A second node back: quorum and min ISR 2 again; the same events are retried until 200.
    const back = performance.now();
    await cluster.startNode(stopped[0] as number);
    const retried = await sendLikeNovaMed(probes, {
      url: () => ingress.webhookUrl,
      apiKey: env.apiKey,
      concurrency: 4,
    });
    const quorumRecoverMs = Math.round(performance.now() - back);
    await cluster.startNode(stopped[1] as number);
    agent.destroy();

    // Healed: every 200 on the topic and in the read models once.
    const allAcknowledged = [...acknowledged, ...retried.acknowledged];
    await waitCaughtUp(env.db, env.kafka, env.topic, PROJECTOR_NAMES, 240_000);
    const check = await checkReadModels(env.db, [...events, ...probes], allAcknowledged);
    const topic = await readTopicCopies(env.kafka, env.topic);
    const missingOnTopic = allAcknowledged.filter((e) => !topic.copies.has(e.eventId)).length;
    const extraCopies = [...topic.copies.values()].reduce((n, c) => n + c - 1, 0);
    const projectorCrashes = projectors.reduce((n, p) => n + p.exits.length, 0);
    const sweep = env.sweep();

    const verdict = recordScenario({
      number: 11,
      title: 'Three brokers: leader killed, then quorum lost',
      did: {
        events: report.events,
        'rate/s': RATE,
        'leader SIGKILLs': kills.length,
        'probes with 2 of 3 down': PROBES,
        requests: report.attempts + PROBES + retried.report.attempts,
      },
      found: {
        '200s': report.acknowledged + retried.report.acknowledged,
        '503s': (report.statuses['503'] ?? 0) + (retried.report.statuses['503'] ?? 0),
        '503s with 2 of 3 down': probeStatuses['503'] ?? 0,
        '200s with 2 of 3 down': probeStatuses['200'] ?? 0,
        'leader changes': leaderChanges,
        ...Object.fromEntries(
          kills.map((k, i) => [`requests in flight during kill ${i + 1}`, k.inFlightDuring]),
        ),
        lost: check.lost + missingOnTopic,
        duplicated: check.doubleApplied,
        'rows wrong': check.mismatchedRows,
        'extra copies on topic': extraCopies,
        'PHI/key in logs': sweep.hits.length,
      },
      criteria:
        'every 200 on the topic and in the read models once; only 503s while 2 of 3 brokers ' +
        'are down, 200 again once a second broker is back',
      checks: {
        'leader kills': () => expect(kills).toHaveLength(KILLS),
        'requests in flight during each leader outage': () => {
          for (const kill of kills)
            expect(kill.inFlightDuring, JSON.stringify(kill)).toBeGreaterThan(0);
        },
        // Stopped by the scenario after the second restart, not by running out of events.
        'the load ran until both kill cycles were done': () => {
          expect(report.events).toBeLessThan(POOL);
          expect(report.events).toBeGreaterThanOrEqual(MIN_EVENTS);
        },
        'leader changes': () => expect(leaderChanges).toBeGreaterThan(0),
        'every event got a 200': () => expect(report.acknowledged).toBe(report.events),
        'no 200 with 2 of 3 down': () => expect(probeStatuses['200'] ?? 0).toBe(0),
        'only 503s with 2 of 3 down': () => expect(probeStatuses['503'] ?? 0).toBe(PROBES),
        'every probe got a 200 once a second broker was back': () =>
          expect(retried.report.acknowledged).toBe(PROBES),
        'every 200 is on the topic': () => expect(missingOnTopic).toBe(0),
        'read models: lost 0, applied twice 0, rows wrong 0': () =>
          expect(check).toMatchObject({ lost: 0, doubleApplied: 0, mismatchedRows: 0 }),
        'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
        'no projector process exited': () => expect(projectorCrashes).toBe(0),
      },
      seconds: secondsSince(started),
      notes: [
        ...kills.map(
          (k, i) =>
            `kill ${i + 1}: node ${k.node} at ${k.atAcknowledged} acknowledged, back in ${k.recoverMs} ms ` +
            `(${k.acknowledgedWhenBack} acknowledged by then); requests in flight at the SIGKILL ` +
            `${k.inFlightAtKill}, during the outage ${k.inFlightDuring}; answers during it ${JSON.stringify(k.answersDuring)}`,
        ),
        `the load stopped after ${report.events} events, ${report.attempts} requests`,
        `2 of 3 down: answers ${JSON.stringify(probeStatuses)}; 200 again ${quorumRecoverMs} ms after a second node was started`,
        `projector processes exited during the run: ${projectorCrashes}`,
        `logs swept: ${sweep.files} files, ${sweep.lines} lines`,
      ],
    });

    assertVerdict(verdict);
  } finally {
    await admin.disconnect();
  }
});
