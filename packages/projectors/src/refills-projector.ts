import type { ProjectorDefinition } from '@novamed-stream/projection';
import { type RefillState, refillsReadModel } from '@novamed-stream/read-models';
import { COMMON_COLUMNS } from './common-columns.js';

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
      name: 'refill_decision_times',
      comment: 'Refills approved or denied, with the time from request to decision.',
      select: (s) => `
        select refill_id, medication_request_id, clinic_id, status, requested_at,
               coalesce(approved_at, denied_at) as decided_at,
               coalesce(approved_at, denied_at) - requested_at as request_to_decision
        from ${s}.refills
        where status in ('approved', 'denied')`,
    },
  ],
};
