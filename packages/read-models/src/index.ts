export { eventVersion, normaliseTimestamp } from './event-version.js';
export {
  type MedicationRequestState,
  type MedicationRequestStatus,
  medicationRequestsReadModel,
} from './medication-requests-read-model.js';
export { type OrderState, type OrderStatus, ordersReadModel } from './orders-read-model.js';
export { project } from './project.js';
export type { AggregateState, ReadModel } from './read-model.js';
export { type RefillState, type RefillStatus, refillsReadModel } from './refills-read-model.js';
