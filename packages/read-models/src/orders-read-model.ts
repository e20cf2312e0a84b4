import { AddressSchema } from '@novamed-stream/events';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { defineReadModel } from './define-read-model.js';
import type { ReadModel } from './read-model.js';
import { CLINIC_ID_FIELD, EVENT_FIELDS, field, idField, statusField } from './state-fields.js';
/**
 * Order lifecycle: `created` < `processing` < `shipped` < `delivered`; `cancelled` is terminal
 * and wins over every other status, whatever the timestamps (an order cancelled after, or
 * even before, its delivery reads `cancelled`).
 */
export type OrderStatus = (typeof ORDER_STATUSES)[number];
const ORDER_STATUSES = ['created', 'processing', 'shipped', 'delivered', 'cancelled'] as const;

/**
 * The current state of one order: the one definition of its fields. Every field is JSON-safe;
 * absent values are `null`; typed fields are last writer wins by (timestamp, event_id). The
 * property order is the column order of `analytics.orders`.
 */
export const OrderStateSchema = Type.Object({
  order_id: idField('the order id (data.order_id); the primary key'),
  clinic_id: CLINIC_ID_FIELD,
  status: statusField(ORDER_STATUSES),
  patient_id: field.text({ deidentify: { pseudonym: 'patient' }, comment: 'PHI' }),
  medication_request_id: field.text({ deidentify: 'keep' }),
  // A re-shipment updates it. Identifies a parcel, so a person: not in analytics.
  tracking_number: field.text({ deidentify: 'drop' }),
  carrier: field.text({ deidentify: 'keep' }),
  estimated_delivery: field.text({
    deidentify: 'keep',
    comment: 'as sent (YYYY-MM-DD); cast with ::date',
  }),
  shipping_address: field.object(AddressSchema, {
    deidentify: { zip5: 'ship' },
    comment: 'PHI: line1, line2, city, state, zip',
  }),
  // Free text can name anyone.
  cancel_reason: field.text({ key: 'reason', only: 'order:cancelled', deidentify: 'drop' }),
  created_at: field.stageAt(),
  processing_at: field.stageAt(),
  shipped_at: field.stageAt(),
  // The envelope's timestamps; `data.delivered_at` and `data.cancelled_at` are in attributes.
  delivered_at: field.stageAt(),
  cancelled_at: field.stageAt(),
  ...EVENT_FIELDS,
});

/** The current state of one order (see {@link OrderStateSchema}). */
export type OrderState = Static<typeof OrderStateSchema>;

/** The `orders` read model: one row per `order_id`, from the five `order:*` event types. */
export const ordersReadModel: ReadModel<OrderState> = defineReadModel<OrderState, 'order'>({
  name: 'orders',
  aggregate: 'order',
  idKey: 'order_id',
  schema: OrderStateSchema,
  stages: {
    'order:created': { status: 'created', rank: 1, at: 'created_at' },
    'order:processing': { status: 'processing', rank: 2, at: 'processing_at' },
    'order:shipped': { status: 'shipped', rank: 3, at: 'shipped_at' },
    'order:delivered': { status: 'delivered', rank: 4, at: 'delivered_at' },
    'order:cancelled': { status: 'cancelled', rank: 5, at: 'cancelled_at' },
  },
});
