import { type AggregateKind, aggregateOf } from '@novamed-stream/events';
import { type IngressMessage, ingressMessage } from './ingress-message.js';
import { seededRandom } from './seeded-random.js';

/** A webhook envelope as NovaMed sends it. */
export interface RawEvent {
  event_type: string;
  event_id: string;
  timestamp: string;
  clinic_id: string;
  data: Record<string, unknown>;
}

/** A message as the ingress writes it to the events topic. */
export type MixMessage = IngressMessage;

/** What was generated: the delivery stream and counts per aggregate kind. */
export interface EventMix {
  /** Messages in delivery order (redeliveries included). */
  messages: MixMessage[];
  /** Messages per aggregate kind, redeliveries included. */
  delivered: Record<AggregateKind, number>;
  /** Distinct event_ids per aggregate kind. */
  distinct: Record<AggregateKind, number>;
  /** Distinct aggregates per kind (rows each projector should end with). */
  aggregates: Record<AggregateKind, number>;
}

/** Options of {@link generateEventMix}. */
export interface EventMixOptions {
  /** Makes ids unique per run. */
  runId: string;
  /** Messages to generate (redeliveries included); at least this many. */
  messages: number;
  /** Share of events delivered twice; default 0.1. */
  duplicateRate?: number;
  seed?: number;
}

const CARRIERS = ['UPS', 'FedEx', 'USPS', 'DHL'];
const MEDICATIONS = [
  'Amoxicillin 500mg',
  'Lisinopril 10mg',
  'Metformin 850mg',
  'Atorvastatin 20mg',
];
const CITIES = [
  ['San Francisco', 'CA', '94102'],
  ['Austin', 'TX', '73301'],
  ['Denver', 'CO', '80202'],
] as const;
const START = Date.parse('2025-03-01T08:00:00.000Z');
/** Event time between two journeys, and between two stages of one aggregate. */
const JOURNEY_SPACING_MS = 20_000;
const STAGE_GAP_MS = 3_600_000;

interface Scheduled {
  event: RawEvent;
  /** When the event reaches the ingress: event time plus jitter (so stages get reordered). */
  deliverAt: number;
}

/**
 * A realistic mix of the 12 event types, valid per the events schemas: per "journey" one
 * medication request (created, approved, sometimes filled or cancelled), 0-2 refills
 * (requested, then approved or denied) and one order (2-4 stages, sometimes cancelled).
 * Deliveries are jittered by up to 1.5 stage gaps, so an aggregate's events often arrive out
 * of order; `duplicateRate` of the events are delivered a second time, later, with the same
 * event_id (a NovaMed retry). Keys and headers are the ingress's.
 */
export function generateEventMix(options: EventMixOptions): EventMix {
  const random = seededRandom(options.seed ?? 42);
  const duplicateRate = options.duplicateRate ?? 0.1;
  const distinctTarget = Math.ceil(options.messages / (1 + duplicateRate));
  const scheduled: Scheduled[] = [];
  const aggregates: Record<AggregateKind, number> = { order: 0, medication_request: 0, refill: 0 };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  let eventCounter = 0;

  const add = (type: string, at: number, clinic: string, data: Record<string, unknown>) => {
    eventCounter += 1;
    scheduled.push({
      event: {
        event_type: type,
        event_id: `evt_${options.runId}_${eventCounter}`,
        timestamp: new Date(at).toISOString(),
        clinic_id: clinic,
        data,
      },
      deliverAt: at + random() * STAGE_GAP_MS * 1.5,
    });
  };

  for (let j = 0; scheduled.length < distinctTarget; j++) {
    const t0 = START + j * JOURNEY_SPACING_MS;
    const clinic = `clinic_${j % 17}`;
    const patient = `pat_${options.runId}_${j}`;
    const practitioner = `prac_${j % 97}`;
    const mr = `mr_${options.runId}_${j}`;
    const medication = pick(MEDICATIONS);
    const quantity = 10 + Math.floor(random() * 80);
    const refills = Math.floor(random() * 4);
    const base = { medication_request_id: mr, patient_id: patient, practitioner_id: practitioner };

    aggregates.medication_request += 1;
    add('medication_request:created', t0, clinic, {
      ...base,
      medication_name: medication,
      quantity,
      refills,
    });
    const approvedAt = t0 + STAGE_GAP_MS;
    add('medication_request:approved', approvedAt, clinic, {
      ...base,
      medication_name: medication,
      quantity,
      refills,
      approved_at: new Date(approvedAt).toISOString(),
    });
    const mrEnd = random();
    const filledAt = t0 + 2 * STAGE_GAP_MS;
    if (mrEnd < 0.75) {
      add('medication_request:filled', filledAt, clinic, {
        ...base,
        filled_at: new Date(filledAt).toISOString(),
      });
    } else if (mrEnd < 0.85) {
      add('medication_request:cancelled', filledAt, clinic, {
        ...base,
        reason: 'prescriber withdrew',
        cancelled_at: new Date(filledAt).toISOString(),
      });
    }

    const refillCount = Math.floor(random() * 3);
    for (let r = 0; r < refillCount; r++) {
      const refill = `rf_${options.runId}_${j}_${r}`;
      const requestedAt = t0 + (3 + r * 2) * STAGE_GAP_MS;
      const refillBase = { refill_id: refill, medication_request_id: mr, patient_id: patient };
      aggregates.refill += 1;
      add('refill:requested', requestedAt, clinic, {
        ...refillBase,
        requested_at: new Date(requestedAt).toISOString(),
      });
      const decidedAt = requestedAt + STAGE_GAP_MS;
      if (random() < 0.8) {
        add('refill:approved', decidedAt, clinic, {
          ...refillBase,
          approved_at: new Date(decidedAt).toISOString(),
        });
      } else {
        add('refill:denied', decidedAt, clinic, {
          ...refillBase,
          reason: 'too early',
          denied_at: new Date(decidedAt).toISOString(),
        });
      }
    }

    const order = `ord_${options.runId}_${j}`;
    const [city, state, zip] = pick(CITIES);
    const address = { line1: `${j} Main Street`, line2: null, city, state, zip };
    const orderBase = { order_id: order, patient_id: patient, medication_request_id: mr };
    const stages = 2 + Math.floor(random() * 3);
    const orderAt = (n: number) => t0 + (2 + n) * STAGE_GAP_MS;
    aggregates.order += 1;
    add('order:created', orderAt(0), clinic, { ...orderBase, shipping_address: address });
    add('order:processing', orderAt(1), clinic, orderBase);
    if (stages >= 3) {
      add('order:shipped', orderAt(2), clinic, {
        ...orderBase,
        tracking_number: `1Z${options.runId}${j}`,
        carrier: pick(CARRIERS),
        estimated_delivery: new Date(orderAt(2) + 3 * 86_400_000).toISOString().slice(0, 10),
        shipping_address: address,
      });
    }
    if (stages >= 4) {
      add('order:delivered', orderAt(3), clinic, {
        ...orderBase,
        delivered_at: new Date(orderAt(3)).toISOString(),
      });
    }
    if (random() < 0.08) {
      add('order:cancelled', orderAt(stages), clinic, {
        ...orderBase,
        reason: 'patient request',
        cancelled_at: new Date(orderAt(stages)).toISOString(),
      });
    }
  }

  const distinct: Record<AggregateKind, number> = { order: 0, medication_request: 0, refill: 0 };
  for (const { event } of scheduled) distinct[kindOf(event)] += 1;
  // Redeliveries: the same event (same event_id and bytes) again, minutes to hours later.
  const redeliveries: Scheduled[] = [];
  for (const s of scheduled) {
    if (random() < duplicateRate) {
      redeliveries.push({
        event: s.event,
        deliverAt: s.deliverAt + 60_000 + random() * STAGE_GAP_MS * 2,
      });
    }
  }
  while (scheduled.length + redeliveries.length < options.messages) {
    const s = scheduled[Math.floor(random() * scheduled.length)] as Scheduled;
    redeliveries.push({
      event: s.event,
      deliverAt: s.deliverAt + 60_000 + random() * STAGE_GAP_MS,
    });
  }
  const all = [...scheduled, ...redeliveries].sort((x, y) => x.deliverAt - y.deliverAt);

  const delivered: Record<AggregateKind, number> = { order: 0, medication_request: 0, refill: 0 };
  const received = new Date();
  const messages = all.map(({ event }) => {
    delivered[kindOf(event)] += 1;
    return ingressMessage(JSON.stringify(event), received, event);
  });
  return { messages, delivered, distinct, aggregates };
}

function kindOf(event: RawEvent): AggregateKind {
  const kind = aggregateOf(event.event_type);
  if (kind === undefined) throw new Error(`generated an unknown event type ${event.event_type}`);
  return kind;
}
