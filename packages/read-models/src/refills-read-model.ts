import { defineReadModel, isString } from './define-read-model.js';
import type { AggregateState, ReadModel } from './read-model.js';

/**
 * Refill lifecycle: `requested` < `approved` | `denied`. Approved and denied share the top
 * rank and are both terminal: when both arrive, the later (timestamp, event_id) decides.
 */
export type RefillStatus = 'requested' | 'approved' | 'denied';

/** The current state of one refill. JSON-safe; absent values are `null`. */
export interface RefillState extends AggregateState {
  /** The refill id (`data.refill_id`); the primary key. */
  refill_id: string;
  /** See {@link RefillStatus}. */
  status: RefillStatus | null;
  /** `data.medication_request_id`: the medication request refilled, last writer wins. */
  medication_request_id: string | null;
  /** `data.patient_id`, last writer wins. PHI. */
  patient_id: string | null;
  /** `data.reason` of `refill:denied`, last writer wins. */
  deny_reason: string | null;
  /** Earliest `refill:requested` timestamp (normalised ISO UTC). */
  requested_at: string | null;
  /** Earliest `refill:approved` timestamp (the envelope's; `data.approved_at` is in attributes). */
  approved_at: string | null;
  /** Earliest `refill:denied` timestamp (the envelope's; `data.denied_at` is in attributes). */
  denied_at: string | null;
}

/** The `refills` read model: one row per `refill_id`, from the three `refill:*` event types. */
export const refillsReadModel: ReadModel<RefillState> = defineReadModel<RefillState, 'refill'>({
  name: 'refills',
  aggregate: 'refill',
  idKey: 'refill_id',
  stages: {
    'refill:requested': { status: 'requested', rank: 1, at: 'requested_at' },
    'refill:approved': { status: 'approved', rank: 2, at: 'approved_at' },
    'refill:denied': { status: 'denied', rank: 2, at: 'denied_at' },
  },
  fields: [
    { field: 'medication_request_id', key: 'medication_request_id', accepts: isString },
    { field: 'patient_id', key: 'patient_id', accepts: isString },
    { field: 'deny_reason', key: 'reason', only: 'refill:denied', accepts: isString },
  ],
  initial: (id, clinicId) => ({
    refill_id: id,
    clinic_id: clinicId,
    status: null,
    medication_request_id: null,
    patient_id: null,
    deny_reason: null,
    requested_at: null,
    approved_at: null,
    denied_at: null,
    first_event_at: null,
    last_event_at: null,
    last_event_id: null,
    attributes: {},
    field_versions: {},
    attribute_versions: {},
  }),
});
