import type { EventData, EventType } from '@novamed-stream/events';
import { CARRIERS } from './carriers.js';
import type { ClinicWorld, Patient } from './clinic-world.js';
import {
  LATE_ORDER_CANCEL_REASONS,
  MEDICATION_REQUEST_CANCEL_REASONS,
  MEDICATIONS,
  ORDER_CANCEL_REASONS,
  REFILL_DENY_REASONS,
} from './fake-data.js';
import type { Random } from './random.js';

/**
 * An event before it gets its envelope (`event_id`, `timestamp`, `clinic_id`): the type and the
 * data, typed by the events package's schemas. Extra fields are allowed, as in the guide.
 */
export type EventDraft = {
  [T in EventType]: { event_type: T; data: EventData<T> & Record<string, unknown> };
}[EventType];

/** What an episode needs from the generator. */
export interface EpisodeContext {
  readonly random: Random;
  readonly world: ClinicWorld;
  /** A new id with the prefix (`ord`, `med_req`, `refill`), unique within the run. */
  newId(prefix: string): string;
  /** The timestamp of the event being drafted (its envelope timestamp), ISO 8601 UTC. */
  now(): string;
}

/** Probabilities of the branches of a lifecycle. */
export const EPISODE_ODDS = {
  medicationRequestCancelled: 0.08,
  orderCancelledBeforeProcessing: 0.05,
  orderCancelledWhileProcessing: 0.04,
  orderLostInTransit: 0.02,
  orderReturnedAfterDelivery: 0.02,
  requestCancelledAfterOrderCancelled: 0.5,
  refillRequested: 0.55,
  refillDenied: 0.2,
  /** A denial later overturned: approved after denied (the later decision wins). */
  denialOverturned: 0.1,
  /** An approval later revoked: denied after approved. */
  approvalRevoked: 0.04,
} as const;

const MAX_REFILLS_PER_EPISODE = 3;

function draft<T extends EventType>(
  eventType: T,
  data: EventData<T> & Record<string, unknown>,
): EventDraft {
  return { event_type: eventType, data } as EventDraft;
}

/** `iso` plus `days` business days, as a `YYYY-MM-DD` date. */
export function addBusinessDays(iso: string, days: number): string {
  const date = new Date(iso);
  let left = days;
  while (left > 0) {
    date.setUTCDate(date.getUTCDate() + 1);
    const weekday = date.getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return date.toISOString().slice(0, 10);
}

interface RequestIds {
  medication_request_id: string;
  patient_id: string;
  practitioner_id: string;
}

/**
 * One order from creation to delivery or cancellation: created, processing, (the first fill of
 * the request), shipped with carrier and tracking number, delivered; sometimes cancelled before
 * shipping, lost in transit, or returned after delivery (cancelled is terminal and wins).
 */
function* fulfilment(
  ctx: EpisodeContext,
  patient: Patient,
  request: RequestIds,
  options: { fill: boolean; refillId?: string },
): Generator<EventDraft, 'delivered' | 'cancelled', undefined> {
  const { random } = ctx;
  const order = {
    order_id: ctx.newId('ord'),
    patient_id: patient.id,
    medication_request_id: request.medication_request_id,
  };
  const cancel = (reasons: readonly string[]) =>
    draft('order:cancelled', { ...order, reason: random.pick(reasons), cancelled_at: ctx.now() });

  const origin = options.refillId === undefined ? {} : { refill_id: options.refillId };
  yield draft('order:created', { ...order, ...origin, shipping_address: patient.address });
  if (random.chance(EPISODE_ODDS.orderCancelledBeforeProcessing)) {
    yield cancel(ORDER_CANCEL_REASONS);
    return 'cancelled';
  }
  yield draft('order:processing', order);
  if (random.chance(EPISODE_ODDS.orderCancelledWhileProcessing)) {
    yield cancel(ORDER_CANCEL_REASONS);
    return 'cancelled';
  }
  if (options.fill) {
    yield draft('medication_request:filled', { ...request, filled_at: ctx.now() });
  }
  const carrier = random.pick(CARRIERS);
  const shippedAt = ctx.now();
  yield draft('order:shipped', {
    ...order,
    tracking_number: carrier.trackingNumber(random),
    carrier: carrier.name,
    estimated_delivery: addBusinessDays(shippedAt, random.int(...carrier.transitDays)),
    shipping_address: patient.address,
  });
  if (random.chance(EPISODE_ODDS.orderLostInTransit)) {
    yield cancel(LATE_ORDER_CANCEL_REASONS.slice(0, 2));
    return 'cancelled';
  }
  yield draft('order:delivered', { ...order, delivered_at: ctx.now() });
  if (random.chance(EPISODE_ODDS.orderReturnedAfterDelivery)) {
    yield cancel(LATE_ORDER_CANCEL_REASONS.slice(2));
    return 'cancelled';
  }
  return 'delivered';
}

/**
 * One care episode of a patient, in true order: a medication request (created, approved or
 * cancelled), its first order and fill, then refills requested and approved (each with its own
 * order) or denied. Ids are consistent throughout: orders and refills name the request, all
 * name the patient. Every draft validates against the events package's schemas.
 */
export function* careEpisode(ctx: EpisodeContext): Generator<EventDraft, void, undefined> {
  const { random, world } = ctx;
  const patient = random.pick(world.patients);
  const medication = random.pick(MEDICATIONS);
  const request: RequestIds = {
    medication_request_id: ctx.newId('med_req'),
    patient_id: patient.id,
    practitioner_id: random.pick(world.practitioners).id,
  };
  const prescription = {
    medication_name: medication.name,
    quantity: random.pick(medication.quantities),
    refills: random.int(0, medication.maxRefills),
  };
  const cancelRequest = () =>
    draft('medication_request:cancelled', {
      ...request,
      reason: random.pick(MEDICATION_REQUEST_CANCEL_REASONS),
      cancelled_at: ctx.now(),
    });

  yield draft('medication_request:created', {
    ...request,
    ...prescription,
    dosage: medication.dosage,
  });
  if (random.chance(EPISODE_ODDS.medicationRequestCancelled)) {
    yield cancelRequest();
    return;
  }
  yield draft('medication_request:approved', {
    ...request,
    ...prescription,
    approved_at: ctx.now(),
  });
  const first = yield* fulfilment(ctx, patient, request, { fill: true });
  if (first === 'cancelled') {
    if (random.chance(EPISODE_ODDS.requestCancelledAfterOrderCancelled)) yield cancelRequest();
    return;
  }

  let remaining = Math.min(prescription.refills, MAX_REFILLS_PER_EPISODE);
  while (remaining > 0 && random.chance(EPISODE_ODDS.refillRequested)) {
    remaining--;
    const refill = {
      refill_id: ctx.newId('refill'),
      medication_request_id: request.medication_request_id,
      patient_id: patient.id,
    };
    const approve = () => draft('refill:approved', { ...refill, approved_at: ctx.now() });
    const deny = () =>
      draft('refill:denied', {
        ...refill,
        reason: random.pick(REFILL_DENY_REASONS),
        denied_at: ctx.now(),
      });
    yield draft('refill:requested', { ...refill, requested_at: ctx.now() });
    if (random.chance(EPISODE_ODDS.refillDenied)) {
      yield deny();
      if (!random.chance(EPISODE_ODDS.denialOverturned)) return;
      yield approve();
    } else {
      yield approve();
      if (random.chance(EPISODE_ODDS.approvalRevoked)) {
        yield deny();
        return;
      }
    }
    yield* fulfilment(ctx, patient, request, { fill: false, refillId: refill.refill_id });
  }
}
