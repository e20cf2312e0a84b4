export { eventVersion, normaliseTimestamp } from './event-version.js';
export {
  type MedicationRequestState,
  MedicationRequestStateSchema,
  type MedicationRequestStatus,
  medicationRequestsReadModel,
} from './medication-requests-read-model.js';
export {
  type OrderState,
  OrderStateSchema,
  type OrderStatus,
  ordersReadModel,
} from './orders-read-model.js';
export { project } from './project.js';
export type { AggregateState, AnnotatedSchema, ReadModel, StateSchema } from './read-model.js';
export {
  type RefillState,
  RefillStateSchema,
  type RefillStatus,
  refillsReadModel,
} from './refills-read-model.js';
export {
  CLINIC_ID_FIELD,
  COMMON_FIELD_NAMES,
  type DataFieldOptions,
  type Deidentify,
  EVENT_FIELDS,
  type FieldSource,
  field,
  idField,
  isCount,
  isObject,
  isString,
  type StateColumnType,
  type StateField,
  type StateFieldAnnotations,
  statusField,
} from './state-fields.js';
