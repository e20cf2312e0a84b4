import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { defineReadModel } from './define-read-model.js';
import type { ReadModel } from './read-model.js';
import { CLINIC_ID_FIELD, EVENT_FIELDS, field, idField, statusField } from './state-fields.js';

/**
 * Medication request lifecycle: `created` < `approved` < `filled`; `cancelled` is terminal and
 * wins over every other status, whatever the timestamps.
 */
export type MedicationRequestStatus = (typeof MEDICATION_REQUEST_STATUSES)[number];
const MEDICATION_REQUEST_STATUSES = ['created', 'approved', 'filled', 'cancelled'] as const;

/**
 * The current state of one medication request: the one definition of its fields. JSON-safe;
 * absent values are `null`; typed fields are last writer wins by (timestamp, event_id). The
 * property order is the column order of `analytics.medication_requests`.
 */
export const MedicationRequestStateSchema = Type.Object({
  medication_request_id: idField(
    'the medication request id (data.medication_request_id); the primary key',
  ),
  clinic_id: CLINIC_ID_FIELD,
  status: statusField(MEDICATION_REQUEST_STATUSES),
  patient_id: field.text({ deidentify: { pseudonym: 'patient' }, comment: 'PHI' }),
  practitioner_id: field.text({ deidentify: { pseudonym: 'practitioner' } }),
  // Health information, not an identifier: a limited data set keeps it (per-medication funnels).
  medication_name: field.text({ deidentify: 'keep', comment: 'PHI' }),
  quantity: field.count({ deidentify: 'keep' }),
  refills: field.count({ deidentify: 'keep', comment: 'refills authorised' }),
  // Free text can name anyone.
  cancel_reason: field.text({
    key: 'reason',
    only: 'medication_request:cancelled',
    deidentify: 'drop',
  }),
  created_at: field.stageAt(),
  // The envelope's timestamp, like every stage; the event's own `data.approved_at` is in attributes.
  approved_at: field.stageAt(),
  filled_at: field.stageAt(),
  cancelled_at: field.stageAt(),
  ...EVENT_FIELDS,
});

/** The current state of one medication request (see {@link MedicationRequestStateSchema}). */
export type MedicationRequestState = Static<typeof MedicationRequestStateSchema>;

/**
 * The `medication_requests` read model: one row per `medication_request_id`, from the four
 * `medication_request:*` event types (refill events belong to the refills read model).
 */
export const medicationRequestsReadModel: ReadModel<MedicationRequestState> = defineReadModel<
  MedicationRequestState,
  'medication_request'
>({
  name: 'medication_requests',
  aggregate: 'medication_request',
  idKey: 'medication_request_id',
  schema: MedicationRequestStateSchema,
  stages: {
    'medication_request:created': { status: 'created', rank: 1, at: 'created_at' },
    'medication_request:approved': { status: 'approved', rank: 2, at: 'approved_at' },
    'medication_request:filled': { status: 'filled', rank: 3, at: 'filled_at' },
    'medication_request:cancelled': { status: 'cancelled', rank: 4, at: 'cancelled_at' },
  },
});
