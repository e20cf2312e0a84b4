import type { RawEvent } from './event-mix.js';
import { seededRandom } from './seeded-random.js';

/** Options of {@link orderJourneys}. */
export interface OrderJourneysOptions {
  /** Makes ids unique per run: `ord_<runId>_<i>`, `evt_<runId>_<i>_<stage>`. */
  runId: string;
  /** Orders to generate. */
  count: number;
  /** Index of the first order; default 0 (a later call with `from` extends a run). */
  from?: number;
  /**
   * Draws each order's stage count, cancellation and carrier from `seededRandom(seed)`. Without
   * it they follow the order's index (2 + i % 3 stages, order 7 of each 10 cancelled, even
   * orders by UPS), so a test can count the events of `count` orders by hand.
   */
  seed?: number;
}

const STAGES = ['order:created', 'order:processing', 'order:shipped', 'order:delivered'];
const START = Date.parse('2025-01-15T08:00:00.000Z');

/** How one order goes: drawn from a generator, or fixed by its index. */
interface OrderChoices {
  stageCount(i: number): number;
  cancelled(i: number): boolean;
  carrier(i: number): string;
}

function choicesOf(seed: number | undefined): OrderChoices {
  if (seed === undefined) {
    return {
      stageCount: (i) => 2 + (i % 3),
      cancelled: (i) => i % 10 === 7,
      carrier: (i) => (i % 2 === 0 ? 'UPS' : 'FedEx'),
    };
  }
  const random = seededRandom(seed);
  return {
    stageCount: () => 2 + Math.floor(random() * 3),
    cancelled: () => random() < 0.1,
    carrier: () => (random() < 0.5 ? 'UPS' : 'FedEx'),
  };
}

/**
 * The events of `count` orders, each through 2-4 stages (created, processing, shipped,
 * delivered; a few cancelled), valid per the events schemas, the stages of one order a minute
 * apart and orders a second apart, from 2025-01-15T08:00Z, in clinics `clinic_0`..`clinic_2`.
 * One order's events follow each other in the list; shuffle them for out-of-order delivery.
 */
export function orderJourneys(options: OrderJourneysOptions): RawEvent[] {
  const { runId, count } = options;
  const from = options.from ?? 0;
  const choose = choicesOf(options.seed);
  const events: RawEvent[] = [];
  for (let i = from; i < from + count; i++) {
    const stages = STAGES.slice(0, choose.stageCount(i));
    if (choose.cancelled(i)) stages.push('order:cancelled');
    stages.forEach((type, n) => {
      const data: Record<string, unknown> = {
        order_id: `ord_${runId}_${i}`,
        patient_id: `pat_${runId}_${i}`,
        medication_request_id: `mr_${runId}_${i}`,
      };
      if (type === 'order:shipped') {
        Object.assign(data, {
          tracking_number: `1Z${i}`,
          carrier: choose.carrier(i),
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
        timestamp: new Date(START + i * 1000 + n * 60_000).toISOString(),
        clinic_id: `clinic_${i % 3}`,
        data,
      });
    });
  }
  return events;
}
