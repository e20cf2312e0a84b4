import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { defineReadModel } from './define-read-model.js';
import type { ReadModel } from './read-model.js';
import { CLINIC_ID_FIELD, EVENT_FIELDS, field, idField, statusField } from './state-fields.js';

/**
 * Refill lifecycle: `requested` < `approved` | `denied`. Approved and denied share the top
 * rank and are both terminal: when both arrive, the later (timestamp, event_id) decides.
 */
export type RefillStatus = (typeof REFILL_STATUSES)[number];
const REFILL_STATUSES = ['requested', 'approved', 'denied'] as const;

/**
 * The current state of one refill: the one definition of its fields. JSON-safe; absent values
 * are `null`; typed fields are last writer wins by (timestamp, event_id). The property order is
 * the column order of `analytics.refills`.
 */
export const RefillStateSchema = Type.Object({
  refill_id: idField('the refill id (data.refill_id); the primary key'),
  clinic_id: CLINIC_ID_FIELD,
  status: statusField(REFILL_STATUSES),
  // The medication request refilled.
  medication_request_id: field.text({ deidentify: 'keep' }),
  patient_id: field.text({ deidentify: { pseudonym: 'patient' }, comment: 'PHI' }),
  // Free text can name anyone.
  deny_reason: field.text({ key: 'reason', only: 'refill:denied', deidentify: 'drop' }),
  requested_at: field.stageAt(),
  // The envelope's timestamps; `data.approved_at` and `data.denied_at` are in attributes.
  approved_at: field.stageAt(),
  denied_at: field.stageAt(),
  ...EVENT_FIELDS,
});

/** The current state of one refill (see {@link RefillStateSchema}). */
export type RefillState = Static<typeof RefillStateSchema>;

/** The `refills` read model: one row per `refill_id`, from the three `refill:*` event types. */
export const refillsReadModel: ReadModel<RefillState> = defineReadModel<RefillState, 'refill'>({
  name: 'refills',
  aggregate: 'refill',
  idKey: 'refill_id',
  schema: RefillStateSchema,
  stages: {
    'refill:requested': { status: 'requested', rank: 1, at: 'requested_at' },
    'refill:approved': { status: 'approved', rank: 2, at: 'approved_at' },
    'refill:denied': { status: 'denied', rank: 2, at: 'denied_at' },
  },
});
