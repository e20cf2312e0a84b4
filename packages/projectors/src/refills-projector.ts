import { pseudonymSql } from '@novamed-stream/db';
import type { ProjectorDefinition } from '@novamed-stream/projection';
import { type RefillState, refillsReadModel } from '@novamed-stream/read-models';
import { defineProjector } from './define-projector.js';

/** The `data` fields of refill events analysts see: no patient id, no free-text reason. */
export const REFILL_ANALYTICS_FIELDS = [
  'refill_id',
  'medication_request_id',
  'requested_at',
  'approved_at',
  'denied_at',
] as const;

/** Refills: current state, history, and decision times. */
export const refillsProjector: ProjectorDefinition<RefillState> = defineProjector({
  readModel: refillsReadModel,
  eventsTable: 'refill_events',
  analyticsFields: REFILL_ANALYTICS_FIELDS,
  comments: {
    state:
      'Current state of every refill, one row each, de-identified: a patient pseudonym instead of the patient id; no denial reason.',
    events:
      'Every distinct refill event applied, de-identified: a patient pseudonym and only the allow-listed data fields.',
  },
  views: [
    {
      name: 'refill_decision_times',
      comment: 'Refills approved or denied, with the time from request to decision.',
      select: (s) => `
        select refill_id, medication_request_id, clinic_id, status,
               ${pseudonymSql('patient', 'patient_id')} as patient_pseudonym, requested_at,
               coalesce(approved_at, denied_at) as decided_at,
               coalesce(approved_at, denied_at) - requested_at as request_to_decision
        from ${s}.refills
        where status in ('approved', 'denied')`,
    },
  ],
});
