import type { ProjectorDefinition } from '@novamed-stream/projection';

export { defineProjector, type ProjectorSpec } from './define-projector.js';

export {
  MEDICATION_REQUEST_ANALYTICS_FIELDS,
  medicationRequestsProjector,
} from './medication-requests-projector.js';
export { ORDER_ANALYTICS_FIELDS, ordersProjector } from './orders-projector.js';
export { REFILL_ANALYTICS_FIELDS, refillsProjector } from './refills-projector.js';

import { medicationRequestsProjector } from './medication-requests-projector.js';
import { ordersProjector } from './orders-projector.js';
import { refillsProjector } from './refills-projector.js';

/** All projectors by name. */
export const PROJECTORS = {
  orders: ordersProjector,
  medication_requests: medicationRequestsProjector,
  refills: refillsProjector,
} as const;

/** A projector name. */
export type ProjectorName = keyof typeof PROJECTORS;

/**
 * Every projector, in a fixed order (orders, medication requests, refills), typed for code that
 * loops over projectors of different state types: the runtime is generic over the state, so
 * each definition is a `ProjectorDefinition` as it is, with no cast.
 */
export const ALL_PROJECTORS: readonly ProjectorDefinition[] = [
  PROJECTORS.orders,
  PROJECTORS.medication_requests,
  PROJECTORS.refills,
];
