import { type AggregateKind, aggregateOf } from '@novamed-stream/events';
import { LifecyclePlans, plannedStage } from '@novamed-stream/oracle';
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
  /**
   * What was planned per entity (each stage with its event_id, timestamp and values), for the
   * independent oracle: `plans.expectedRows('order')` are the rows the orders read model must
   * end with.
   */
  plans: LifecyclePlans;
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

/** What the journey builders share: the random source, the schedule and the plans. */
interface MixBuilder {
  readonly runId: string;
  readonly random: () => number;
  readonly scheduled: Scheduled[];
  readonly aggregates: Record<AggregateKind, number>;
  readonly plans: LifecyclePlans;
  eventCounter: number;
}

/** One journey's identities and start. */
interface Journey {
  readonly j: number;
  readonly t0: number;
  readonly clinic: string;
  readonly patient: string;
  readonly mr: string;
}

function pick<T>(builder: MixBuilder, items: readonly T[]): T {
  return items[Math.floor(builder.random() * items.length)] as T;
}

const iso = (at: number) => new Date(at).toISOString();

/** Schedules one event (delivery jittered) and records it as a planned stage. */
function add(
  builder: MixBuilder,
  type: string,
  at: number,
  clinic: string,
  data: Record<string, unknown>,
): void {
  builder.eventCounter += 1;
  const event: RawEvent = {
    event_type: type,
    event_id: `evt_${builder.runId}_${builder.eventCounter}`,
    timestamp: iso(at),
    clinic_id: clinic,
    data,
  };
  builder.scheduled.push({ event, deliverAt: at + builder.random() * STAGE_GAP_MS * 1.5 });
  builder.plans.record(plannedStage(event));
}

/** Created, approved, then filled (75%), cancelled (10%) or left approved. */
function medicationRequestJourney(builder: MixBuilder, journey: Journey): void {
  const { t0, clinic, mr } = journey;
  const medication = pick(builder, MEDICATIONS);
  const quantity = 10 + Math.floor(builder.random() * 80);
  const refills = Math.floor(builder.random() * 4);
  const base = {
    medication_request_id: mr,
    patient_id: journey.patient,
    practitioner_id: `prac_${journey.j % 97}`,
  };
  const prescription = { medication_name: medication, quantity, refills };
  builder.aggregates.medication_request += 1;
  add(builder, 'medication_request:created', t0, clinic, { ...base, ...prescription });
  const approvedAt = t0 + STAGE_GAP_MS;
  add(builder, 'medication_request:approved', approvedAt, clinic, {
    ...base,
    ...prescription,
    approved_at: iso(approvedAt),
  });
  const end = builder.random();
  const endAt = t0 + 2 * STAGE_GAP_MS;
  if (end < 0.75) {
    add(builder, 'medication_request:filled', endAt, clinic, { ...base, filled_at: iso(endAt) });
  } else if (end < 0.85) {
    add(builder, 'medication_request:cancelled', endAt, clinic, {
      ...base,
      reason: 'prescriber withdrew',
      cancelled_at: iso(endAt),
    });
  }
}

/** 0-2 refills, each requested then approved (80%) or denied. */
function refillJourneys(builder: MixBuilder, journey: Journey): void {
  const { t0, clinic, mr, j } = journey;
  const refillCount = Math.floor(builder.random() * 3);
  for (let r = 0; r < refillCount; r++) {
    const requestedAt = t0 + (3 + r * 2) * STAGE_GAP_MS;
    const refillBase = {
      refill_id: `rf_${builder.runId}_${j}_${r}`,
      medication_request_id: mr,
      patient_id: journey.patient,
    };
    builder.aggregates.refill += 1;
    add(builder, 'refill:requested', requestedAt, clinic, {
      ...refillBase,
      requested_at: iso(requestedAt),
    });
    const decidedAt = requestedAt + STAGE_GAP_MS;
    if (builder.random() < 0.8) {
      add(builder, 'refill:approved', decidedAt, clinic, {
        ...refillBase,
        approved_at: iso(decidedAt),
      });
    } else {
      add(builder, 'refill:denied', decidedAt, clinic, {
        ...refillBase,
        reason: 'too early',
        denied_at: iso(decidedAt),
      });
    }
  }
}

/** One order: created and processing, then shipped and delivered (2-4 stages); 8% cancelled. */
function orderJourney(builder: MixBuilder, journey: Journey): void {
  const { t0, clinic, j } = journey;
  const { runId } = builder;
  const [city, state, zip] = pick(builder, CITIES);
  const address = { line1: `${j} Main Street`, line2: null, city, state, zip };
  const orderBase = {
    order_id: `ord_${runId}_${j}`,
    patient_id: journey.patient,
    medication_request_id: journey.mr,
  };
  const stages = 2 + Math.floor(builder.random() * 3);
  const orderAt = (n: number) => t0 + (2 + n) * STAGE_GAP_MS;
  builder.aggregates.order += 1;
  add(builder, 'order:created', orderAt(0), clinic, { ...orderBase, shipping_address: address });
  add(builder, 'order:processing', orderAt(1), clinic, orderBase);
  if (stages >= 3) {
    add(builder, 'order:shipped', orderAt(2), clinic, {
      ...orderBase,
      tracking_number: `1Z${runId}${j}`,
      carrier: pick(builder, CARRIERS),
      estimated_delivery: iso(orderAt(2) + 3 * 86_400_000).slice(0, 10),
      shipping_address: address,
    });
  }
  if (stages >= 4) {
    add(builder, 'order:delivered', orderAt(3), clinic, {
      ...orderBase,
      delivered_at: iso(orderAt(3)),
    });
  }
  if (builder.random() < 0.08) {
    add(builder, 'order:cancelled', orderAt(stages), clinic, {
      ...orderBase,
      reason: 'patient request',
      cancelled_at: iso(orderAt(stages)),
    });
  }
}

/**
 * Redeliveries: the same event (same event_id and bytes) again, minutes to hours later; first
 * `duplicateRate` of the events, then more at random until `messages` is reached.
 */
function redeliveries(builder: MixBuilder, duplicateRate: number, messages: number): Scheduled[] {
  const { scheduled, random } = builder;
  const again: Scheduled[] = [];
  for (const s of scheduled) {
    if (random() < duplicateRate) {
      again.push({ event: s.event, deliverAt: s.deliverAt + 60_000 + random() * STAGE_GAP_MS * 2 });
    }
  }
  while (scheduled.length + again.length < messages) {
    const s = scheduled[Math.floor(random() * scheduled.length)] as Scheduled;
    again.push({ event: s.event, deliverAt: s.deliverAt + 60_000 + random() * STAGE_GAP_MS });
  }
  return again;
}

/**
 * A realistic mix of the 12 event types, valid per the events schemas: per "journey" one
 * medication request (created, approved, sometimes filled or cancelled), 0-2 refills
 * (requested, then approved or denied) and one order (2-4 stages, sometimes cancelled).
 * Deliveries are jittered by up to 1.5 stage gaps, so an aggregate's events often arrive out
 * of order; `duplicateRate` of the events are delivered a second time, later, with the same
 * event_id (a NovaMed retry). Keys and headers are the ingress's. Every event is also recorded
 * as a planned stage in `plans`, for the independent oracle.
 */
export function generateEventMix(options: EventMixOptions): EventMix {
  const builder: MixBuilder = {
    runId: options.runId,
    random: seededRandom(options.seed ?? 42),
    scheduled: [],
    aggregates: { order: 0, medication_request: 0, refill: 0 },
    plans: new LifecyclePlans(),
    eventCounter: 0,
  };
  const duplicateRate = options.duplicateRate ?? 0.1;
  const distinctTarget = Math.ceil(options.messages / (1 + duplicateRate));
  for (let j = 0; builder.scheduled.length < distinctTarget; j++) {
    const journey: Journey = {
      j,
      t0: START + j * JOURNEY_SPACING_MS,
      clinic: `clinic_${j % 17}`,
      patient: `pat_${options.runId}_${j}`,
      mr: `mr_${options.runId}_${j}`,
    };
    medicationRequestJourney(builder, journey);
    refillJourneys(builder, journey);
    orderJourney(builder, journey);
  }

  const distinct: Record<AggregateKind, number> = { order: 0, medication_request: 0, refill: 0 };
  for (const { event } of builder.scheduled) distinct[kindOf(event)] += 1;
  const again = redeliveries(builder, duplicateRate, options.messages);
  const all = [...builder.scheduled, ...again].sort((x, y) => x.deliverAt - y.deliverAt);

  const delivered: Record<AggregateKind, number> = { order: 0, medication_request: 0, refill: 0 };
  const received = new Date();
  const messages = all.map(({ event }) => {
    delivered[kindOf(event)] += 1;
    return ingressMessage(JSON.stringify(event), received, event);
  });
  return { messages, delivered, distinct, aggregates: builder.aggregates, plans: builder.plans };
}

function kindOf(event: RawEvent): AggregateKind {
  const kind = aggregateOf(event.event_type);
  if (kind === undefined) throw new Error(`generated an unknown event type ${event.event_type}`);
  return kind;
}
