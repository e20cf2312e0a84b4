import { afterAll, expect, it } from 'vitest';
import { type ScenarioEnvironment, scenarioEnvironment } from '../harness/environment.js';
import { assertVerdict, recordScenario, secondsSince } from '../harness/report.js';
import { atScale } from '../harness/scale.js';
import { Progress, sendLikeNovaMed } from '../harness/sender.js';
import { readTopicCopies } from '../harness/topic-copies.js';

const EVENTS = atScale(6000, 20_000);
const CONCURRENCY = atScale(100, 200);

let env: ScenarioEnvironment | undefined;
afterAll(async () => {
  await env?.close();
});

it('9. idempotent producer under heavy concurrency and across broker restarts: one record per 200', async () => {
  const started = performance.now();
  env = await scenarioEnvironment({ name: 'idempotent-producer', dedicatedBroker: true, seed: 99 });
  const broker = env.broker;
  if (!broker) throw new Error('no dedicated broker');
  const ingress = await env.ingress();
  const events = env.feed.take(EVENTS);
  // Every event is sent ONCE (no retry), unpaced, so each record on the topic can be matched
  // to the one request that produced it: a second copy could only come from the producer.
  const answered = new Progress();
  const load = sendLikeNovaMed(events, {
    url: () => ingress.webhookUrl,
    apiKey: env.apiKey,
    concurrency: CONCURRENCY,
    retry: false,
    ratePerSecond: atScale(600, 800),
    onAcknowledged: answered.tick,
  });
  const restarts: string[] = [];
  await answered.reach(Math.floor(EVENTS * 0.3));
  await broker.restart();
  restarts.push(`graceful restart at ${answered.count} acknowledged`);
  await answered.reach(Math.floor(EVENTS * 0.6));
  await broker.kill();
  await broker.start();
  restarts.push(`SIGKILL and start at ${answered.count} acknowledged`);
  const { report, acknowledged } = await load;

  const topic = await readTopicCopies(env.kafka, env.topic);
  const acked = new Set(acknowledged.map((e) => e.eventId));
  const duplicated = [...topic.copies.values()].filter((c) => c > 1).length;
  const missing = [...acked].filter((id) => topic.copies.get(id) !== 1).length;
  const storedWithout200 = [...topic.copies.keys()].filter((id) => !acked.has(id)).length;
  const sweep = env.sweep();
  const verdict = recordScenario({
    number: 9,
    title: 'Idempotent producer (kafkajs)',
    did: {
      requests: report.attempts,
      concurrency: CONCURRENCY,
      'broker restarts': restarts.length,
    },
    found: {
      '200s': report.acknowledged,
      'distinct offsets': topic.distinctOffsets,
      'events with 2+ records': duplicated,
      '200s without exactly one record': missing,
      'failed answers whose event was stored anyway': storedWithout200,
      '503s': report.statuses['503'] ?? 0,
      'no answer': report.networkErrors,
      'PHI/key in logs': sweep.hits.length,
    },
    criteria:
      'distinct offsets = 200s + failed answers whose append had landed; no event written twice',
    checks: {
      // The restarts hit the load.
      'the restarts failed some requests': () => expect(report.acknowledged).toBeLessThan(EVENTS),
      'no event written twice': () => expect(duplicated).toBe(0),
      'every 200 has exactly one record': () => expect(missing).toBe(0),
      'distinct offsets = 200s + stored without a 200': () =>
        expect(topic.distinctOffsets).toBe(report.acknowledged + storedWithout200),
      'no PHI or key in the logs': () => expect(sweep.hits).toEqual([]),
    },
    seconds: secondsSince(started),
    notes: [
      ...restarts,
      'A 503 after a broker failure cannot know whether the append landed; NovaMed retries it and consumers dedup by event_id.',
    ],
  });

  assertVerdict(verdict);
});
