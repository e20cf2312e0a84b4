import type { ColumnSpec } from '@novamed-stream/projection';

/** Columns every read model's state has (see `AggregateState`). */
export const COMMON_COLUMNS: readonly ColumnSpec[] = [
  { name: 'clinic_id', type: 'text', comment: 'envelope clinic_id, last writer wins' },
  {
    name: 'status',
    type: 'text',
    comment: 'lifecycle status: highest rank wins, terminal states win',
  },
  { name: 'first_event_at', type: 'timestamptz', comment: 'earliest event timestamp' },
  { name: 'last_event_at', type: 'timestamptz', comment: 'latest event timestamp' },
  {
    name: 'last_event_id',
    type: 'text',
    comment: 'event_id of the latest event (by timestamp, then event_id)',
  },
  {
    name: 'attributes',
    type: 'jsonb',
    comment: 'every data field ever sent, known or unknown, last writer wins per key',
  },
  {
    name: 'field_versions',
    type: 'jsonb',
    comment: 'bookkeeping: timestamp|event_id that last wrote each field',
  },
  {
    name: 'attribute_versions',
    type: 'jsonb',
    comment: 'bookkeeping: timestamp|event_id that last wrote each attribute',
  },
];
