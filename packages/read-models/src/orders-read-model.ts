import type { Address } from '@novamed-stream/events';
import { defineReadModel, isObject, isString } from './define-read-model.js';
import type { AggregateState, ReadModel } from './read-model.js';

/**
 * Order lifecycle: `created` < `processing` < `shipped` < `delivered`; `cancelled` is terminal
 * and wins over every other status, whatever the timestamps (an order cancelled after, or
 * even before, its delivery reads `cancelled`).
 */
export type OrderStatus = 'created' | 'processing' | 'shipped' | 'delivered' | 'cancelled';

/** The current state of one order. Every field is JSON-safe; absent values are `null`. */
export interface OrderState extends AggregateState {
  /** The order id (`data.order_id`); the primary key. */
  order_id: string;
  /** See {@link OrderStatus}. */
  status: OrderStatus | null;
  /** `data.patient_id`, last writer wins. PHI. */
  patient_id: string | null;
  /** `data.medication_request_id`, last writer wins. */
  medication_request_id: string | null;
  /** `data.tracking_number`, last writer wins (a re-shipment updates it). */
  tracking_number: string | null;
  /** `data.carrier`, last writer wins. */
  carrier: string | null;
  /** `data.estimated_delivery` (ISO date `YYYY-MM-DD`), last writer wins. */
  estimated_delivery: string | null;
  /** `data.shipping_address` as sent (line1, line2, city, state, zip, ...), last writer wins. PHI. */
  shipping_address: Address | null;
  /** `data.reason` of `order:cancelled`, last writer wins. */
  cancel_reason: string | null;
  /** Earliest `order:created` timestamp (normalised ISO UTC). */
  created_at: string | null;
  /** Earliest `order:processing` timestamp. */
  processing_at: string | null;
  /** Earliest `order:shipped` timestamp. */
  shipped_at: string | null;
  /** Earliest `order:delivered` timestamp (the envelope's; `data.delivered_at` is in attributes). */
  delivered_at: string | null;
  /** Earliest `order:cancelled` timestamp (the envelope's; `data.cancelled_at` is in attributes). */
  cancelled_at: string | null;
}

/** The `orders` read model: one row per `order_id`, from the five `order:*` event types. */
export const ordersReadModel: ReadModel<OrderState> = defineReadModel<OrderState, 'order'>({
  name: 'orders',
  aggregate: 'order',
  idKey: 'order_id',
  stages: {
    'order:created': { status: 'created', rank: 1, at: 'created_at' },
    'order:processing': { status: 'processing', rank: 2, at: 'processing_at' },
    'order:shipped': { status: 'shipped', rank: 3, at: 'shipped_at' },
    'order:delivered': { status: 'delivered', rank: 4, at: 'delivered_at' },
    'order:cancelled': { status: 'cancelled', rank: 5, at: 'cancelled_at' },
  },
  fields: [
    { field: 'patient_id', key: 'patient_id', accepts: isString },
    { field: 'medication_request_id', key: 'medication_request_id', accepts: isString },
    { field: 'tracking_number', key: 'tracking_number', accepts: isString },
    { field: 'carrier', key: 'carrier', accepts: isString },
    { field: 'estimated_delivery', key: 'estimated_delivery', accepts: isString },
    { field: 'shipping_address', key: 'shipping_address', accepts: isObject },
    { field: 'cancel_reason', key: 'reason', only: 'order:cancelled', accepts: isString },
  ],
  initial: (id, clinicId) => ({
    order_id: id,
    clinic_id: clinicId,
    status: null,
    patient_id: null,
    medication_request_id: null,
    tracking_number: null,
    carrier: null,
    estimated_delivery: null,
    shipping_address: null,
    cancel_reason: null,
    created_at: null,
    processing_at: null,
    shipped_at: null,
    delivered_at: null,
    cancelled_at: null,
    first_event_at: null,
    last_event_at: null,
    last_event_id: null,
    attributes: {},
    field_versions: {},
    attribute_versions: {},
  }),
});
