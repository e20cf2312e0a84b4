export { medicationRequestsProjector } from './medication-requests-projector.js';
export { ordersProjector } from './orders-projector.js';
export { refillsProjector } from './refills-projector.js';

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
