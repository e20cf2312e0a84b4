import { pseudonymSql } from '@novamed-stream/db';
import type { ProjectorDefinition } from '@novamed-stream/projection';
import {
  type MedicationRequestState,
  medicationRequestsReadModel,
} from '@novamed-stream/read-models';
import { defineProjector } from './define-projector.js';

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
export const medicationRequestsProjector: ProjectorDefinition<MedicationRequestState> =
  defineProjector({
    readModel: medicationRequestsReadModel,
    eventsTable: 'medication_request_events',
    analyticsFields: MEDICATION_REQUEST_ANALYTICS_FIELDS,
    comments: {
      state:
        'Current state of every medication request, one row each, de-identified: patient and practitioner pseudonyms instead of their ids; no cancellation reason.',
      events:
        'Every distinct medication-request event applied, de-identified: pseudonyms and only the allow-listed data fields.',
    },
    views: [
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
  });
