import type { GeneratedEvent } from './event-generator.js';
import type { Random } from './random.js';

/** The faults real partners have, on request. All rates are probabilities from 0 to 1. */
export interface Faults {
  /** An event is delivered a second time (same event_id, same bytes), a little later. */
  duplicateRate: number;
  /** An event is held back and delivered after the next event of the same aggregate. */
  outOfOrderRate: number;
  /** An event starts a burst: `burstSize` more events are sent at once, ignoring the rate. */
  burstRate: number;
  burstSize: number;
}

/** No faults: every event once, in true order, at the configured rate. */
export const NO_FAULTS: Faults = {
  duplicateRate: 0,
  outOfOrderRate: 0,
  burstRate: 0,
  burstSize: 0,
};

/** One event to deliver now. */
export interface Emission {
  readonly generated: GeneratedEvent;
  /** A redelivery of an event already emitted. */
  readonly duplicate: boolean;
  /** Emitted after a later event of its own aggregate. */
  readonly overtaken: boolean;
}

/** Options of {@link FaultInjector}. */
export interface FaultInjectorOptions {
  duplicateRate: number;
  outOfOrderRate: number;
  /** A held event is released after this many further events if no successor came. Default 100. */
  holdFor?: number;
  /** A duplicate follows its original after 0 to this many further events. Default 10. */
  duplicateLag?: number;
}

interface Waiting {
  emission: Emission;
  countdown: number;
}

/**
 * Turns the generated sequence (true order) into the delivery sequence: some events held back
 * until the next event of their aggregate overtook them, some emitted twice. Pure and seeded:
 * it draws from its own `random`, so the events themselves do not depend on the faults.
 */
export class FaultInjector {
  readonly #options: Required<FaultInjectorOptions>;
  readonly #random: Random;
  readonly #held = new Map<string, Waiting>();
  #duplicates: Waiting[] = [];
  #duplicatesEmitted = 0;
  #overtaken = 0;

  constructor(options: FaultInjectorOptions, random: Random) {
    this.#options = { holdFor: 100, duplicateLag: 10, ...options };
    this.#random = random;
  }

  /** Duplicates emitted so far. */
  get duplicates(): number {
    return this.#duplicatesEmitted;
  }

  /** Events emitted after a later event of their aggregate so far. */
  get overtaken(): number {
    return this.#overtaken;
  }

  /** Events held back or duplicates not yet emitted. */
  get waiting(): number {
    return this.#held.size + this.#duplicates.length;
  }

  /** Takes the next generated event; returns what to deliver now, in order. */
  push(generated: GeneratedEvent): Emission[] {
    const out: Emission[] = [];
    for (const waiting of this.#held.values()) waiting.countdown--;
    for (const waiting of this.#duplicates) waiting.countdown--;

    const held = this.#held.get(generated.aggregate);
    const original: Emission = { generated, duplicate: false, overtaken: false };
    if (held !== undefined) {
      // The successor goes first: the held event now arrives out of order.
      this.#held.delete(generated.aggregate);
      out.push(original, { ...held.emission, overtaken: true });
      this.#overtaken++;
    } else if (this.#random.chance(this.#options.outOfOrderRate)) {
      this.#held.set(generated.aggregate, { emission: original, countdown: this.#options.holdFor });
    } else {
      out.push(original);
    }
    for (const [aggregate, waiting] of this.#held) {
      if (waiting.countdown > 0) continue;
      this.#held.delete(aggregate);
      out.push(waiting.emission);
    }
    return this.#withDuplicates(out, false);
  }

  /** Releases everything still waiting (the end of a run). */
  flush(): Emission[] {
    const out = [...this.#held.values()].map((waiting) => waiting.emission);
    this.#held.clear();
    return this.#withDuplicates(out, true);
  }

  #withDuplicates(originals: Emission[], all: boolean): Emission[] {
    const out = [...originals];
    for (const emission of originals) {
      if (!this.#random.chance(this.#options.duplicateRate)) continue;
      this.#duplicates.push({
        emission: { ...emission, duplicate: true, overtaken: false },
        countdown: this.#random.int(0, this.#options.duplicateLag),
      });
    }
    const due = all ? this.#duplicates : this.#duplicates.filter((w) => w.countdown <= 0);
    if (due.length > 0) {
      this.#duplicates = all ? [] : this.#duplicates.filter((w) => w.countdown > 0);
      for (const waiting of due) out.push(waiting.emission);
      this.#duplicatesEmitted += due.length;
    }
    return out;
  }
}
