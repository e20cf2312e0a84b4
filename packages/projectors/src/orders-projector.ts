import type { ProjectorDefinition } from '@novamed-stream/projection';
import { type OrderState, ordersReadModel } from '@novamed-stream/read-models';
import { defineProjector } from './define-projector.js';

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
export const ordersProjector: ProjectorDefinition<OrderState> = defineProjector({
  readModel: ordersReadModel,
  eventsTable: 'order_events',
  analyticsFields: ORDER_ANALYTICS_FIELDS,
  comments: {
    state:
      'Current state of every order, one row each, de-identified: a patient pseudonym instead of the patient id; city, state and 5-digit ZIP instead of the address; no tracking number or cancellation reason.',
    events:
      'Every distinct order event applied, one row per event_id, de-identified: a patient pseudonym and only the allow-listed data fields.',
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
});
