import { appendAsIngress } from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';

/** A raw envelope as NovaMed sends it. */
export interface RawEvent {
  event_type: string;
  event_id: string;
  timestamp: string;
  clinic_id: string;
  data: Record<string, unknown>;
}

const STAGES = ['order:created', 'order:processing', 'order:shipped', 'order:delivered'];

/** Orders `from`..`from + count - 1`, each through 2-4 stages (a few cancelled), valid per schema. */
export function orderEvents(runId: string, from: number, count: number): RawEvent[] {
  const events: RawEvent[] = [];
  const start = Date.parse('2025-01-15T08:00:00.000Z');
  for (let i = from; i < from + count; i++) {
    const orderId = `ord_${runId}_${i}`;
    const stages = STAGES.slice(0, 2 + (i % 3));
    if (i % 10 === 7) stages.push('order:cancelled');
    stages.forEach((type, n) => {
      const data: Record<string, unknown> = {
        order_id: orderId,
        patient_id: `pat_${runId}_${i}`,
        medication_request_id: `mr_${runId}_${i}`,
      };
      if (type === 'order:shipped') {
        Object.assign(data, {
          tracking_number: `1Z${i}`,
          carrier: i % 2 === 0 ? 'UPS' : 'FedEx',
          estimated_delivery: '2025-01-18',
          shipping_address: { line1: `${i} Main St`, city: 'Austin', state: 'TX', zip: '73301' },
        });
      }
      if (type === 'order:cancelled') data['reason'] = 'patient request';
      events.push({
        event_type: type,
        event_id: `evt_${runId}_${i}_${n}`,
        timestamp: new Date(start + i * 1000 + n * 60_000).toISOString(),
        clinic_id: `clinic_${i % 3}`,
        data,
      });
    });
  }
  return events;
}

/** Appends events as the ingress would (key, headers, raw JSON), in batches. */
export async function produce(
  kafka: Kafka,
  topic: string,
  events: readonly RawEvent[],
): Promise<void> {
  await appendAsIngress(
    kafka,
    topic,
    events.map((event) => ({ body: JSON.stringify(event), event })),
  );
}

/** Polls `check` until it is true, or fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
