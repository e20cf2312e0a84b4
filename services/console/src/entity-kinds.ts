/** What the explorer can look up. */
export type EntityKind = 'order' | 'medication_request' | 'refill';

/** Where an entity kind lives: its projector, views and id column. */
export interface EntityKindInfo {
  kind: EntityKind;
  projector: string;
  /** `analytics.<view>` and `analytics_identified.<view>`: the current rows. */
  view: string;
  /** The event history views. */
  eventsView: string;
  idColumn: string;
  /** Event types of this aggregate start with it. */
  typePrefix: string;
}

/** The three kinds, in search order. */
export const ENTITY_KINDS: Record<EntityKind, EntityKindInfo> = {
  order: {
    kind: 'order',
    projector: 'orders',
    view: 'orders',
    eventsView: 'order_events',
    idColumn: 'order_id',
    typePrefix: 'order:',
  },
  medication_request: {
    kind: 'medication_request',
    projector: 'medication_requests',
    view: 'medication_requests',
    eventsView: 'medication_request_events',
    idColumn: 'medication_request_id',
    typePrefix: 'medication_request:',
  },
  refill: {
    kind: 'refill',
    projector: 'refills',
    view: 'refills',
    eventsView: 'refill_events',
    idColumn: 'refill_id',
    typePrefix: 'refill:',
  },
};
