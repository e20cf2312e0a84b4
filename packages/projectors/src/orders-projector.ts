import { pseudonymSql } from '@novamed-stream/db';
import type { ProjectorDefinition } from '@novamed-stream/projection';
import { type OrderState, ordersReadModel } from '@novamed-stream/read-models';
import { COMMON_COLUMNS } from './common-columns.js';
import { addressText, addressZip5, allowListedJson } from './limited-data-set-sql.js';

/**
 * The `data` fields of order events analysts see (in `attributes` and an event's `data`): no
 * patient id, address, tracking number, free-text reason or any field not listed here.
 */
export const ORDER_ANALYTICS_FIELDS = [
  'order_id',
  'medication_request_id',
  'carrier',
  'estimated_delivery',
  'delivered_at',
  'cancelled_at',
] as const;

/**
 * Orders: `analytics.orders`, `analytics.order_events` (de-identified), funnel and
 * delivery-time views; `analytics_identified.orders` and `.order_events` with every column.
 */
export const ordersProjector: ProjectorDefinition<OrderState> = {
  name: 'orders',
  readModel: ordersReadModel,
  table: {
    stateTable: 'orders',
    eventsTable: 'order_events',
    idColumn: 'order_id',
    columns: [
      ...COMMON_COLUMNS,
      { name: 'patient_id', type: 'text', comment: 'PHI' },
      { name: 'medication_request_id', type: 'text' },
      { name: 'tracking_number', type: 'text' },
      { name: 'carrier', type: 'text' },
      {
        name: 'estimated_delivery',
        type: 'text',
        comment: 'as sent (YYYY-MM-DD); cast with ::date',
      },
      { name: 'shipping_address', type: 'jsonb', comment: 'PHI: line1, line2, city, state, zip' },
      { name: 'cancel_reason', type: 'text' },
      { name: 'created_at', type: 'timestamptz' },
      { name: 'processing_at', type: 'timestamptz' },
      { name: 'shipped_at', type: 'timestamptz' },
      { name: 'delivered_at', type: 'timestamptz' },
      { name: 'cancelled_at', type: 'timestamptz' },
    ],
  },
  views: [
    {
      name: 'orders',
      comment:
        'Current state of every order, one row each, de-identified: a patient pseudonym instead of the patient id; city, state and 5-digit ZIP instead of the address; no tracking number or cancellation reason.',
      select: (s) => `
        select order_id, clinic_id, status,
               ${pseudonymSql('patient', 'patient_id')} as patient_pseudonym,
               medication_request_id, carrier, estimated_delivery,
               ${addressText('shipping_address', 'city')} as ship_city,
               ${addressText('shipping_address', 'state')} as ship_state,
               ${addressZip5('shipping_address')} as ship_zip5,
               created_at, processing_at, shipped_at, delivered_at, cancelled_at,
               first_event_at, last_event_at, last_event_id,
               ${allowListedJson('attributes', ORDER_ANALYTICS_FIELDS)} as attributes,
               events_applied, source_partition, source_offset, updated_at
        from ${s}.orders`,
    },
    {
      name: 'order_events',
      comment:
        'Every distinct order event applied, one row per event_id, de-identified: a patient pseudonym and only the allow-listed data fields.',
      select: (s) => `
        select event_id, order_id, event_type, event_timestamp, clinic_id, received_at,
               topic, partition, "offset",
               ${pseudonymSql('patient', "data ->> 'patient_id'")} as patient_pseudonym,
               ${allowListedJson('data', ORDER_ANALYTICS_FIELDS)} as data,
               recorded_at
        from ${s}.order_events`,
    },
    {
      name: 'order_funnel_daily',
      comment:
        'Per clinic and UTC day of first event: orders created, reached processing, shipped, delivered, cancelled, and still open.',
      select: (s) => `
        select clinic_id,
               (coalesce(created_at, first_event_at) at time zone 'UTC')::date as day,
               count(*) as orders,
               count(created_at) as created,
               count(processing_at) as processing,
               count(shipped_at) as shipped,
               count(delivered_at) as delivered,
               count(cancelled_at) as cancelled,
               count(*) filter (where status not in ('delivered', 'cancelled')) as open
        from ${s}.orders
        group by 1, 2`,
    },
    {
      name: 'order_delivery_times',
      comment: 'Orders that were shipped and delivered, with the time between (and from creation).',
      select: (s) => `
        select order_id, clinic_id, carrier, shipped_at, delivered_at,
               delivered_at - shipped_at as shipping_to_delivery,
               delivered_at - created_at as created_to_delivery
        from ${s}.orders
        where shipped_at is not null and delivered_at is not null`,
    },
  ],
};
