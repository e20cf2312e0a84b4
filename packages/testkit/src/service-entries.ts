/**
 * The services' entry files, relative to the repo root: run by path (as deployed, through
 * `ServiceProcess`), never imported, so the testkit does not depend on the services that
 * devDepend on it.
 */
export const SERVICE_ENTRIES = {
  ingress: 'services/ingress/src/main.ts',
  orders: 'services/projector-orders/src/main.ts',
  medication_requests: 'services/projector-medication-requests/src/main.ts',
  refills: 'services/projector-refills/src/main.ts',
  sandbox: 'services/novamed-sandbox/src/main.ts',
  console: 'services/console/src/main.ts',
} as const;

/** One of the three projector services. */
export type ProjectorName = 'orders' | 'medication_requests' | 'refills';

/** The three projectors, in the order `up` starts them. */
export const PROJECTOR_NAMES: readonly ProjectorName[] = [
  'orders',
  'medication_requests',
  'refills',
];
