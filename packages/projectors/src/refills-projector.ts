import { pseudonymSql } from '@novamed-stream/db';
import type { ProjectorDefinition } from '@novamed-stream/projection';
import { type RefillState, refillsReadModel } from '@novamed-stream/read-models';
import { COMMON_COLUMNS } from './common-columns.js';
import { allowListedJson } from './limited-data-set-sql.js';

/** The `data` fields of refill events analysts see: no patient id, no free-text reason. */
export const REFILL_ANALYTICS_FIELDS = [
  'refill_id',
  'medication_request_id',
  'requested_at',
  'approved_at',
  'denied_at',
] as const;

/** Refills: current state, history, and decision times. */
export const refillsProjector: ProjectorDefinition<RefillState> = {
  name: 'refills',
  readModel: refillsReadModel,
  table: {
    stateTable: 'refills',
    eventsTable: 'refill_events',
    idColumn: 'refill_id',
    columns: [
      ...COMMON_COLUMNS,
      { name: 'medication_request_id', type: 'text' },
      { name: 'patient_id', type: 'text', comment: 'PHI' },
      { name: 'deny_reason', type: 'text' },
      { name: 'requested_at', type: 'timestamptz' },
      { name: 'approved_at', type: 'timestamptz' },
      { name: 'denied_at', type: 'timestamptz' },
    ],
  },
  views: [
    {
      name: 'refills',
      comment:
        'Current state of every refill, one row each, de-identified: a patient pseudonym instead of the patient id; no denial reason.',
      select: (s) => `
        select refill_id, clinic_id, status, medication_request_id,
               ${pseudonymSql('patient', 'patient_id')} as patient_pseudonym,
               requested_at, approved_at, denied_at,
               first_event_at, last_event_at, last_event_id,
               ${allowListedJson('attributes', REFILL_ANALYTICS_FIELDS)} as attributes,
               events_applied, source_partition, source_offset, updated_at
        from ${s}.refills`,
    },
    {
      name: 'refill_events',
      comment:
        'Every distinct refill event applied, de-identified: a patient pseudonym and only the allow-listed data fields.',
      select: (s) => `
        select event_id, refill_id, event_type, event_timestamp, clinic_id, received_at,
               topic, partition, "offset",
               ${pseudonymSql('patient', "data ->> 'patient_id'")} as patient_pseudonym,
               ${allowListedJson('data', REFILL_ANALYTICS_FIELDS)} as data,
               recorded_at
        from ${s}.refill_events`,
    },
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
};
