/**
 * Remembers which event_ids were handled. The topic is at least once (NovaMed redelivers an
 * event with the same event_id; a consumer rereads after a crash or rebalance), so a handler
 * with side effects must skip what it already did.
 */
export interface EventIdDedup {
  /** True when this event_id was handled before. */
  has(eventId: string): boolean | Promise<boolean>;
  /** Records that it was handled (called after the handler succeeded). */
  add(eventId: string): void | Promise<void>;
}

/**
 * An in-memory {@link EventIdDedup} holding the last `capacity` event_ids (least recently
 * seen dropped first). It catches redeliveries during the life of the process; it forgets on
 * restart. For effects that must happen exactly once, record the event_id in the same
 * database transaction as the effect (see docs/topic-contract.md).
 */
export class InMemoryEventIdDedup implements EventIdDedup {
  readonly #ids = new Set<string>();

  constructor(readonly capacity = 100_000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError('capacity must be a positive integer');
    }
  }

  has(eventId: string): boolean {
    if (!this.#ids.has(eventId)) return false;
    // Refresh: a Set iterates in insertion order, so re-adding makes it the newest.
    this.#ids.delete(eventId);
    this.#ids.add(eventId);
    return true;
  }

  add(eventId: string): void {
    this.#ids.delete(eventId);
    this.#ids.add(eventId);
    while (this.#ids.size > this.capacity) {
      const oldest = this.#ids.values().next().value;
      if (oldest === undefined) break;
      this.#ids.delete(oldest);
    }
  }

  /** How many event_ids it holds. */
  get size(): number {
    return this.#ids.size;
  }
}
