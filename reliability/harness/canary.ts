import { randomBytes } from 'node:crypto';
import { aggregateOf, type NovaMedEvent } from '@novamed-stream/events';
import { EventGenerator } from '@novamed-stream/novamed-sandbox';
import { type PlannedStage, plannedStage } from '@novamed-stream/oracle';

/** One event a scenario sends: the envelope, its exact body, and its aggregate. */
export interface CanaryEvent {
  readonly event: NovaMedEvent;
  readonly body: string;
  readonly eventId: string;
  /** `order`, `medication_request` or `refill`. */
  readonly kind: 'order' | 'medication_request' | 'refill';
  readonly aggregateId: string;
  /** The lifecycle stage it carries out, with the values sent (canaries included): the oracle's input. */
  readonly stage: PlannedStage;
}

const ID_FIELD = {
  order: 'order_id',
  medication_request: 'medication_request_id',
  refill: 'refill_id',
} as const;

/**
 * Realistic NovaMed activity (the sandbox's seeded generator: consistent ids, true order per
 * aggregate) whose patient data is replaced by canaries: patient ids, patient names, street
 * addresses and medication names that exist nowhere else, so a sweep of the logs can tell
 * whether any of it leaked. Every canary contains this feed's `marker`.
 */
export class CanaryFeed {
  /** A token unique to this feed; every canary value contains it. */
  readonly marker: string;
  readonly #generator: EventGenerator;
  readonly #patients = new Map<string, string>();
  readonly #canaries = new Set<string>();
  #clock: number;

  constructor(options: { seed: number; clinicIds?: readonly string[]; concurrency?: number }) {
    this.marker = `cnry${randomBytes(4).toString('hex')}`;
    this.#generator = new EventGenerator({
      seed: options.seed,
      clinicIds: options.clinicIds ?? ['clinic_rel_a', 'clinic_rel_b', 'clinic_rel_c'],
      concurrency: options.concurrency ?? 200,
    });
    this.#clock = Date.parse('2026-11-01T08:00:00.000Z');
  }

  /** Every canary value used so far (patient ids, names, street lines, medication names). */
  get canaries(): string[] {
    return [...this.#canaries];
  }

  /** The next `count` events. */
  take(count: number): CanaryEvent[] {
    const events: CanaryEvent[] = [];
    while (events.length < count) {
      this.#clock += 7;
      const generated = this.#generator.next(this.#clock);
      if (!generated) throw new Error('the generator ran out of events');
      const event = this.#canarise(generated.event);
      const kind = aggregateOf(event.event_type);
      if (!kind) throw new Error(`no aggregate for ${event.event_type}`);
      events.push({
        event,
        body: JSON.stringify(event),
        eventId: event.event_id,
        kind,
        aggregateId: String((event.data as Record<string, unknown>)[ID_FIELD[kind]]),
        stage: plannedStage(event),
      });
    }
    return events;
  }

  #canary(value: string): string {
    this.#canaries.add(value);
    return value;
  }

  #canarise(event: NovaMedEvent): NovaMedEvent {
    const data = { ...(event.data as Record<string, unknown>) };
    const original = data['patient_id'];
    if (typeof original === 'string') {
      let patient = this.#patients.get(original);
      if (!patient) {
        patient = `pat_${this.marker}_${this.#patients.size}`;
        this.#patients.set(original, patient);
      }
      data['patient_id'] = this.#canary(patient);
      // Not in the guide's payloads, but partners add fields: names must not leak either.
      data['patient_name'] = this.#canary(`Corvina ${this.marker}son ${this.#patients.size % 97}`);
    }
    if (typeof data['medication_name'] === 'string') {
      data['medication_name'] = this.#canary(`Canarimab-${this.marker} ${data['medication_name']}`);
    }
    const address = data['shipping_address'];
    if (address && typeof address === 'object') {
      const line1 = (address as Record<string, unknown>)['line1'];
      data['shipping_address'] = {
        ...address,
        line1: this.#canary(`${String(line1).split(' ')[0]} ${this.marker} Lane`),
      };
    }
    return { ...event, data } as NovaMedEvent;
  }
}
