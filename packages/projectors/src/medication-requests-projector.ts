import { pseudonymSql } from '@novamed-stream/db';
import type { ProjectorDefinition } from '@novamed-stream/projection';
import {
  type MedicationRequestState,
  medicationRequestsReadModel,
} from '@novamed-stream/read-models';
import { COMMON_COLUMNS } from './common-columns.js';
import { allowListedJson } from './limited-data-set-sql.js';

/**
 * The `data` fields of medication-request events analysts see. The medication, quantity and
 * refills are health information, not identifiers: a limited data set keeps them (they are
 * what per-medication funnels group by). No patient or practitioner id, no free-text reason.
 */
export const MEDICATION_REQUEST_ANALYTICS_FIELDS = [
  'medication_request_id',
  'medication_name',
  'quantity',
  'refills',
  'approved_at',
  'filled_at',
  'cancelled_at',
] as const;

/** Medication requests: current state, history, and approval-to-fill times. */
export const medicationRequestsProjector: ProjectorDefinition<MedicationRequestState> = {
  name: 'medication_requests',
  readModel: medicationRequestsReadModel,
  table: {
    stateTable: 'medication_requests',
    eventsTable: 'medication_request_events',
    idColumn: 'medication_request_id',
    columns: [
      ...COMMON_COLUMNS,
      { name: 'patient_id', type: 'text', comment: 'PHI' },
      { name: 'practitioner_id', type: 'text' },
      { name: 'medication_name', type: 'text', comment: 'PHI' },
      { name: 'quantity', type: 'numeric' },
      { name: 'refills', type: 'numeric', comment: 'refills authorised' },
      { name: 'cancel_reason', type: 'text' },
      { name: 'created_at', type: 'timestamptz' },
      { name: 'approved_at', type: 'timestamptz' },
      { name: 'filled_at', type: 'timestamptz' },
      { name: 'cancelled_at', type: 'timestamptz' },
    ],
  },
  views: [
    {
      name: 'medication_requests',
      comment:
        'Current state of every medication request, one row each, de-identified: patient and practitioner pseudonyms instead of their ids; no cancellation reason.',
      select: (s) => `
        select medication_request_id, clinic_id, status,
               ${pseudonymSql('patient', 'patient_id')} as patient_pseudonym,
               ${pseudonymSql('practitioner', 'practitioner_id')} as practitioner_pseudonym,
               medication_name, quantity, refills,
               created_at, approved_at, filled_at, cancelled_at,
               first_event_at, last_event_at, last_event_id,
               ${allowListedJson('attributes', MEDICATION_REQUEST_ANALYTICS_FIELDS)} as attributes,
               events_applied, source_partition, source_offset, updated_at
        from ${s}.medication_requests`,
    },
    {
      name: 'medication_request_events',
      comment:
        'Every distinct medication-request event applied, de-identified: pseudonyms and only the allow-listed data fields.',
      select: (s) => `
        select event_id, medication_request_id, event_type, event_timestamp, clinic_id,
               received_at, topic, partition, "offset",
               ${pseudonymSql('patient', "data ->> 'patient_id'")} as patient_pseudonym,
               ${pseudonymSql('practitioner', "data ->> 'practitioner_id'")} as practitioner_pseudonym,
               ${allowListedJson('data', MEDICATION_REQUEST_ANALYTICS_FIELDS)} as data,
               recorded_at
        from ${s}.medication_request_events`,
    },
    {
      name: 'medication_request_fill_times',
      comment: 'Medication requests approved and filled, with the time from approval to fill.',
      select: (s) => `
        select medication_request_id, clinic_id,
               ${pseudonymSql('patient', 'patient_id')} as patient_pseudonym,
               ${pseudonymSql('practitioner', 'practitioner_id')} as practitioner_pseudonym,
               medication_name, approved_at, filled_at,
               filled_at - approved_at as approval_to_fill
        from ${s}.medication_requests
        where approved_at is not null and filled_at is not null`,
    },
    {
      name: 'medication_request_funnel_daily',
      comment:
        'Per clinic and UTC day of first event: requests created, approved, filled, cancelled.',
      select: (s) => `
        select clinic_id,
               (coalesce(created_at, first_event_at) at time zone 'UTC')::date as day,
               count(*) as medication_requests,
               count(created_at) as created,
               count(approved_at) as approved,
               count(filled_at) as filled,
               count(cancelled_at) as cancelled
        from ${s}.medication_requests
        group by 1, 2`,
    },
  ],
};
