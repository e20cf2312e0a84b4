import { aggregateOf, type NovaMedEvent, validateEvent } from '@novamed-stream/events';
import { type PlannedStage, plannedStage } from '@novamed-stream/oracle';
import { careEpisode, type EpisodeContext, type EventDraft } from './care-episode.js';
import { type ClinicWorld, type ClinicWorldSize, createClinicWorld } from './clinic-world.js';
import { Random } from './random.js';

/** One generated event: the envelope, its exact JSON body, and where it belongs. */
export interface GeneratedEvent {
  /** The envelope (validated against the events package's schemas). */
  readonly event: NovaMedEvent;
  /** The JSON body sent for it; every attempt and every duplicate sends these same bytes. */
  readonly body: string;
  /** `<aggregate kind>:<id>`, e.g. `order:ord_x1`: the unit of ordering. */
  readonly aggregate: string;
  /** Sequence number of the care episode (lifecycle) it belongs to. */
  readonly episode: number;
  /** The lifecycle stage this event carries out, as planned: what the oracle reads. */
  readonly stage: PlannedStage;
}

/** Options of {@link EventGenerator}. */
export interface EventGeneratorOptions {
  /** Same seed and clinics, same events (ids, types, data, order). */
  seed: number;
  /** The clinics the activity belongs to (at least one). */
  clinicIds: readonly string[];
  /** Episodes in progress at once, interleaved. Default 20. */
  concurrency?: number;
  /** Start no more episodes after this many; `next` returns undefined once all are done. */
  lifecycles?: number;
  /** Patients and practitioners per clinic. */
  worldSize?: ClinicWorldSize;
}

interface ActiveEpisode {
  readonly number: number;
  readonly clinicId: string;
  readonly steps: Generator<EventDraft, void, undefined>;
}

function aggregateKey(draft: EventDraft): string {
  const data = draft.data as Record<string, unknown>;
  const kind = aggregateOf(draft.event_type);
  switch (kind) {
    case 'order':
      return `order:${String(data['order_id'])}`;
    case 'medication_request':
      return `medication_request:${String(data['medication_request_id'])}`;
    case 'refill':
      return `refill:${String(data['refill_id'])}`;
    case undefined:
      throw new Error(`no aggregate for ${draft.event_type}`);
  }
}

/**
 * A pure, seeded source of realistic NovaMed activity: care episodes (a medication request
 * with its orders and refills, see `careEpisode`) for the given clinics, several in progress at
 * once and interleaved, each in its true order. No I/O and no clock: the caller passes each
 * event's time. Timestamps strictly increase, so "true order" is unambiguous.
 */
export class EventGenerator {
  readonly #random: Random;
  readonly #worldRandom: Random;
  readonly #clinicIds: readonly string[];
  readonly #worlds = new Map<string, ClinicWorld>();
  readonly #concurrency: number;
  readonly #lifecycles: number | undefined;
  readonly #worldSize: ClinicWorldSize | undefined;
  readonly #active: ActiveEpisode[] = [];
  #started = 0;
  #completed = 0;
  #generated = 0;
  #lastAt = Number.NEGATIVE_INFINITY;
  #now = '';

  constructor(options: EventGeneratorOptions) {
    if (options.clinicIds.length === 0) throw new Error('at least one clinic id is required');
    this.#random = new Random(options.seed);
    this.#worldRandom = this.#random.fork('worlds');
    this.#clinicIds = [...options.clinicIds];
    this.#concurrency = Math.max(1, options.concurrency ?? 20);
    this.#lifecycles = options.lifecycles;
    this.#worldSize = options.worldSize;
  }

  /** Episodes started so far. */
  get episodesStarted(): number {
    return this.#started;
  }

  /** Episodes whose last event was generated. */
  get episodesCompleted(): number {
    return this.#completed;
  }

  /** Events generated so far. */
  get eventsGenerated(): number {
    return this.#generated;
  }

  /** True once the lifecycle limit was reached and every episode finished. */
  get exhausted(): boolean {
    return !this.#canStart() && this.#active.length === 0;
  }

  /**
   * The next event, stamped at `atMs` (epoch ms; raised to 1 ms after the previous event if
   * needed), or undefined when {@link exhausted}.
   */
  next(atMs: number): GeneratedEvent | undefined {
    for (;;) {
      if (this.#active.length < this.#concurrency && this.#canStart()) this.#startEpisode();
      if (this.#active.length === 0) return undefined;
      const index = this.#random.int(0, this.#active.length - 1);
      const episode = this.#active[index] as ActiveEpisode;
      const at = Math.max(Math.floor(atMs), this.#lastAt + 1);
      this.#now = new Date(at).toISOString();
      const step = episode.steps.next();
      if (step.done) {
        this.#active.splice(index, 1);
        this.#completed++;
        continue;
      }
      this.#lastAt = at;
      this.#generated++;
      return this.#envelope(step.value, episode);
    }
  }

  #canStart(): boolean {
    return this.#lifecycles === undefined || this.#started < this.#lifecycles;
  }

  #world(clinicId: string): ClinicWorld {
    let world = this.#worlds.get(clinicId);
    if (world === undefined) {
      world = createClinicWorld(
        clinicId,
        this.#worldRandom.fork(`clinic:${clinicId}`),
        this.#worldSize,
      );
      this.#worlds.set(clinicId, world);
    }
    return world;
  }

  #startEpisode(): void {
    const clinicId = this.#random.pick(this.#clinicIds);
    const context: EpisodeContext = {
      random: this.#random,
      world: this.#world(clinicId),
      newId: (prefix) => `${prefix}_${this.#random.string(12)}`,
      now: () => this.#now,
    };
    this.#started++;
    this.#active.push({ number: this.#started, clinicId, steps: careEpisode(context) });
  }

  #envelope(draft: EventDraft, episode: ActiveEpisode): GeneratedEvent {
    const envelope = {
      event_type: draft.event_type,
      event_id: `evt_${this.#random.string(16)}`,
      timestamp: this.#now,
      clinic_id: episode.clinicId,
      data: draft.data,
    };
    const checked = validateEvent(envelope);
    if (!checked.ok) {
      // A generator bug, never partner data: the message names fields and rules only.
      throw new Error(`generated ${draft.event_type} is invalid: ${checked.errors.join('; ')}`);
    }
    return {
      event: checked.event,
      body: JSON.stringify(envelope),
      aggregate: aggregateKey(draft),
      episode: episode.number,
      stage: plannedStage(envelope),
    };
  }
}
