import type { ProjectorDefinition } from '@novamed-stream/projection';
import {
  type MedicationRequestState,
  medicationRequestsReadModel,
} from '@novamed-stream/read-models';
import { COMMON_COLUMNS } from './common-columns.js';

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
      name: 'medication_request_fill_times',
      comment: 'Medication requests approved and filled, with the time from approval to fill.',
      select: (s) => `
        select medication_request_id, clinic_id, practitioner_id, approved_at, filled_at,
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
