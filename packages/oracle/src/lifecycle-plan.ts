/** The three kinds of entity NovaMed reports on (the oracle's own spelling, not an import). */
export type EntityKind = 'order' | 'medication_request' | 'refill';

/**
 * One stage of an entity's lifecycle as a generator planned and sent it: which stage, under
 * which event_id, when, for which clinic, and the field values it carried (the webhook's
 * `data`, as sent). A generator records one per event it sends.
 */
export interface PlannedStage {
  readonly kind: EntityKind;
  /** The entity's id (`order_id`, `medication_request_id` or `refill_id`). */
  readonly id: string;
  /** The stage reached: `created`, `shipped`, `denied`... (the event type after the colon). */
  readonly stage: string;
  readonly event_id: string;
  /** The event's timestamp as sent (zoned ISO 8601). */
  readonly at: string;
  readonly clinic_id: string;
  /** The field values sent with the stage. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Everything planned for one entity, in the order it was sent. */
export interface EntityPlan {
  readonly kind: EntityKind;
  readonly id: string;
  readonly stages: readonly PlannedStage[];
}

/**
 * A read-model row as the oracle expects it: the id, `clinic_id`, `status`, the typed fields,
 * one `<stage>_at` per stage, `first_event_at`, `last_event_at`, `last_event_id` and
 * `attributes`. Timestamps are ISO 8601 UTC with milliseconds. Projection bookkeeping (the
 * versions of last-writer-wins, counters) is not part of it.
 */
export type ExpectedRow = Record<string, unknown>;
