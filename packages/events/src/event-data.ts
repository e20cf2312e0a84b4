import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { EventType } from './event-types.js';
import './formats.js';

// Fields NovaMed's guide does not show in full are optional and may be null; unknown fields
// are allowed everywhere (`additionalProperties: true`) so nothing the partner adds is refused.
const open = { additionalProperties: true } as const;
const Id = Type.String({ minLength: 1, maxLength: 255 });
const optional = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));
const Text = Type.String({ maxLength: 10_000 });
const DateTime = Type.String({ format: 'date-time' });

/** A postal address as in the guide's `order:shipped` example. */
export const AddressSchema = Type.Object(
  {
    line1: Type.String({ minLength: 1 }),
    line2: optional(Text),
    city: Type.String({ minLength: 1 }),
    state: Type.String({ minLength: 1 }),
    zip: Type.String({ minLength: 1 }),
  },
  open,
);

const orderFields = {
  order_id: Id,
  patient_id: optional(Id),
  medication_request_id: optional(Id),
};

/** `order:created`: a new order. */
export const OrderCreatedData = Type.Object(
  { ...orderFields, shipping_address: optional(AddressSchema) },
  open,
);
/** `order:processing`: the pharmacy is working on the order. */
export const OrderProcessingData = Type.Object(orderFields, open);
/** `order:shipped`: exactly the fields of the guide's full example, all required. */
export const OrderShippedData = Type.Object(
  {
    order_id: Id,
    patient_id: Id,
    medication_request_id: Id,
    tracking_number: Type.String({ minLength: 1 }),
    carrier: Type.String({ minLength: 1 }),
    estimated_delivery: Type.String({ format: 'date' }),
    shipping_address: AddressSchema,
  },
  open,
);
/** `order:delivered`: the parcel arrived. */
export const OrderDeliveredData = Type.Object(
  { ...orderFields, delivered_at: optional(DateTime) },
  open,
);
/** `order:cancelled`: terminal. */
export const OrderCancelledData = Type.Object(
  { ...orderFields, reason: optional(Text), cancelled_at: optional(DateTime) },
  open,
);

const medicationRequestFields = {
  medication_request_id: Id,
  patient_id: optional(Id),
  practitioner_id: optional(Id),
};

/** `medication_request:created`. */
export const MedicationRequestCreatedData = Type.Object(
  {
    ...medicationRequestFields,
    medication_name: optional(Text),
    quantity: optional(Type.Integer({ minimum: 0 })),
    refills: optional(Type.Integer({ minimum: 0 })),
  },
  open,
);
/** `medication_request:approved`: exactly the fields of the guide's full example, required. */
export const MedicationRequestApprovedData = Type.Object(
  {
    medication_request_id: Id,
    patient_id: Id,
    practitioner_id: Id,
    medication_name: Type.String({ minLength: 1 }),
    quantity: Type.Integer({ minimum: 0 }),
    refills: Type.Integer({ minimum: 0 }),
    approved_at: DateTime,
  },
  open,
);
/** `medication_request:filled`. */
export const MedicationRequestFilledData = Type.Object(
  { ...medicationRequestFields, filled_at: optional(DateTime) },
  open,
);
/** `medication_request:cancelled`: terminal. */
export const MedicationRequestCancelledData = Type.Object(
  { ...medicationRequestFields, reason: optional(Text), cancelled_at: optional(DateTime) },
  open,
);

const refillFields = {
  refill_id: Id,
  medication_request_id: optional(Id),
  patient_id: optional(Id),
};

/** `refill:requested`. */
export const RefillRequestedData = Type.Object(
  { ...refillFields, requested_at: optional(DateTime) },
  open,
);
/** `refill:approved`. */
export const RefillApprovedData = Type.Object(
  { ...refillFields, approved_at: optional(DateTime) },
  open,
);
/** `refill:denied`. */
export const RefillDeniedData = Type.Object(
  { ...refillFields, reason: optional(Text), denied_at: optional(DateTime) },
  open,
);

/** The data schema of each documented event type. */
export const EVENT_DATA_SCHEMAS = {
  'order:created': OrderCreatedData,
  'order:processing': OrderProcessingData,
  'order:shipped': OrderShippedData,
  'order:delivered': OrderDeliveredData,
  'order:cancelled': OrderCancelledData,
  'medication_request:created': MedicationRequestCreatedData,
  'medication_request:approved': MedicationRequestApprovedData,
  'medication_request:filled': MedicationRequestFilledData,
  'medication_request:cancelled': MedicationRequestCancelledData,
  'refill:requested': RefillRequestedData,
  'refill:approved': RefillApprovedData,
  'refill:denied': RefillDeniedData,
} as const satisfies Record<EventType, TSchema>;

/** The `data` type of event type `T`. */
export type EventData<T extends EventType> = Static<(typeof EVENT_DATA_SCHEMAS)[T]>;

/** A postal address. */
export type Address = Static<typeof AddressSchema>;
