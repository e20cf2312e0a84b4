import type { ProjectorDefinition } from '@novamed-stream/projection';
import { type OrderState, ordersReadModel } from '@novamed-stream/read-models';
import { COMMON_COLUMNS } from './common-columns.js';

/** Orders: `analytics.orders`, `analytics.order_events`, funnel and delivery-time views. */
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
