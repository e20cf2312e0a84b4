import { EVENTS_TOPIC } from '@novamed-stream/events';
import { ingressMessage, seededRandom } from '@novamed-stream/testkit';
import type { BatchMessage } from '../src/index.js';

/** A raw envelope as NovaMed would send it. */
export interface RawEvent {
  event_type: string;
  event_id: string;
  timestamp: string;
  clinic_id: string;
  data: Record<string, unknown>;
}

const ORDER_STAGES = ['order:created', 'order:processing', 'order:shipped', 'order:delivered'];

/** The test kit's seeded generator (mulberry32), so failures reproduce. */
export const rng = seededRandom;

/**
 * The events of `count` orders, each going through 2-4 stages (a few cancelled), with
 * distinct timestamps per order. Ids are unique per `runId`.
 */
export function orderLifecycles(runId: string, count: number, seed = 1): RawEvent[] {
  const random = rng(seed);
  const events: RawEvent[] = [];
  const start = Date.parse('2025-01-15T08:00:00.000Z');
  for (let i = 0; i < count; i++) {
    const orderId = `ord_${runId}_${i}`;
    const stages = ORDER_STAGES.slice(0, 2 + Math.floor(random() * 3));
    if (random() < 0.1) stages.push('order:cancelled');
    stages.forEach((type, n) => {
      const data: Record<string, unknown> = {
        order_id: orderId,
        patient_id: `pat_${runId}_${i}`,
        medication_request_id: `mr_${runId}_${i}`,
      };
      if (type === 'order:shipped') {
        Object.assign(data, {
          tracking_number: `1Z${i}`,
          carrier: random() < 0.5 ? 'UPS' : 'FedEx',
          estimated_delivery: '2025-01-18',
          shipping_address: {
            line1: `${i} Main Street`,
            city: 'San Francisco',
            state: 'CA',
            zip: '94102',
          },
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

/** Shuffles in place with the given generator (Fisher-Yates). */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The Kafka message the ingress would write for an event. */
export function toKafkaMessage(event: RawEvent | Buffer) {
  const value = Buffer.isBuffer(event) ? event : Buffer.from(JSON.stringify(event));
  let parsed: RawEvent;
  try {
    parsed = JSON.parse(value.toString()) as RawEvent;
  } catch {
    return { key: null, value, headers: {} as Record<string, string> };
  }
  return ingressMessage(value, new Date(), parsed);
}

/** Messages at consecutive offsets starting at `first`, as a consumer batch delivers them. */
export function asBatch(events: Array<RawEvent | Buffer>, first = 0): BatchMessage[] {
  return events.map((e, i) => {
    const { value, headers } = toKafkaMessage(e);
    return { offset: String(first + i), value, headers };
  });
}

export { EVENTS_TOPIC };
