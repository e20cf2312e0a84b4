import { defineReadModel, isCount, isString } from './define-read-model.js';
import type { AggregateState, ReadModel } from './read-model.js';

/**
 * Medication request lifecycle: `created` < `approved` < `filled`; `cancelled` is terminal and
 * wins over every other status, whatever the timestamps.
 */
export type MedicationRequestStatus = 'created' | 'approved' | 'filled' | 'cancelled';

/** The current state of one medication request. JSON-safe; absent values are `null`. */
export interface MedicationRequestState extends AggregateState {
  /** The medication request id (`data.medication_request_id`); the primary key. */
  medication_request_id: string;
  /** See {@link MedicationRequestStatus}. */
  status: MedicationRequestStatus | null;
  /** `data.patient_id`, last writer wins. PHI. */
  patient_id: string | null;
  /** `data.practitioner_id`, last writer wins. */
  practitioner_id: string | null;
  /** `data.medication_name`, last writer wins. PHI. */
  medication_name: string | null;
  /** `data.quantity` (non-negative integer), last writer wins. */
  quantity: number | null;
  /** `data.refills`: refills allowed (non-negative integer), last writer wins. */
  refills: number | null;
  /** `data.reason` of `medication_request:cancelled`, last writer wins. */
  cancel_reason: string | null;
  /** Earliest `medication_request:created` timestamp (normalised ISO UTC). */
  created_at: string | null;
  /**
   * Earliest `medication_request:approved` envelope timestamp (for uniformity with the other
   * stages; the event's own `data.approved_at` is kept in `attributes`).
   */
  approved_at: string | null;
  /** Earliest `medication_request:filled` timestamp. */
  filled_at: string | null;
  /** Earliest `medication_request:cancelled` timestamp. */
  cancelled_at: string | null;
}

/**
 * The `medication_requests` read model: one row per `medication_request_id`, from the four
 * `medication_request:*` event types (refill events belong to {@link refillsReadModel}).
 */
export const medicationRequestsReadModel: ReadModel<MedicationRequestState> = defineReadModel<
  MedicationRequestState,
  'medication_request'
>({
  name: 'medication_requests',
  aggregate: 'medication_request',
  idKey: 'medication_request_id',
  stages: {
    'medication_request:created': { status: 'created', rank: 1, at: 'created_at' },
    'medication_request:approved': { status: 'approved', rank: 2, at: 'approved_at' },
    'medication_request:filled': { status: 'filled', rank: 3, at: 'filled_at' },
    'medication_request:cancelled': { status: 'cancelled', rank: 4, at: 'cancelled_at' },
  },
  fields: [
    { field: 'patient_id', key: 'patient_id', accepts: isString },
    { field: 'practitioner_id', key: 'practitioner_id', accepts: isString },
    { field: 'medication_name', key: 'medication_name', accepts: isString },
    { field: 'quantity', key: 'quantity', accepts: isCount },
    { field: 'refills', key: 'refills', accepts: isCount },
    {
      field: 'cancel_reason',
      key: 'reason',
      only: 'medication_request:cancelled',
      accepts: isString,
    },
  ],
  initial: (id, clinicId) => ({
    medication_request_id: id,
    clinic_id: clinicId,
    status: null,
    patient_id: null,
    practitioner_id: null,
    medication_name: null,
    quantity: null,
    refills: null,
    cancel_reason: null,
    created_at: null,
    approved_at: null,
    filled_at: null,
    cancelled_at: null,
    first_event_at: null,
    last_event_at: null,
    last_event_id: null,
    attributes: {},
    field_versions: {},
    attribute_versions: {},
  }),
});
