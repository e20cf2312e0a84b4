export {
  checkIJson,
  I_JSON_MAX_DEPTH,
  I_JSON_MAX_NAME_BYTES,
  I_JSON_MAX_NUMBER_LENGTH,
  type IJsonOptions,
  type IJsonResult,
  type IJsonRule,
} from './check-i-json.js';
export { type DecodedEvent, decodeEvent } from './decode-event.js';
export { type Envelope, type EnvelopeResult, EnvelopeSchema, parseEnvelope } from './envelope.js';
export {
  type Address,
  AddressSchema,
  EVENT_DATA_SCHEMAS,
  type EventData,
  MedicationRequestApprovedData,
  MedicationRequestCancelledData,
  MedicationRequestCreatedData,
  MedicationRequestFilledData,
  OrderCancelledData,
  OrderCreatedData,
  OrderDeliveredData,
  OrderProcessingData,
  OrderShippedData,
  RefillApprovedData,
  RefillDeniedData,
  RefillRequestedData,
} from './event-data.js';
export {
  type AggregateKind,
  aggregateOf,
  EVENT_TYPES,
  type EventType,
  isEventType,
} from './event-types.js';
export { type GuideSampleName, guideSample } from './guide-samples.js';
export { eventHeaders, HEADERS, QUARANTINE_HEADERS } from './headers.js';
export {
  fieldTooLong,
  fieldWithControlCharacter,
  IDENTIFIER_MAX_BYTES,
  IDENTIFYING_FIELDS,
  type IdentifyingEnvelope,
  type IdentifyingField,
} from './identifying-fields.js';
export { isIsoDate, isIsoDateTime } from './iso-date-time.js';
export {
  type EventOf,
  type EventValidation,
  type NovaMedEvent,
  validateEvent,
} from './novamed-event.js';
export { PHI_FIELDS } from './phi.js';
export { type RoutableEnvelope, routingKey } from './routing-key.js';
export { DEAD_LETTER_TOPIC, EVENTS_TOPIC, QUARANTINE_TOPIC } from './topics.js';
