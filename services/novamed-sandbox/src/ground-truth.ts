import type { NovaMedEvent } from '@novamed-stream/events';
import {
  type AggregateState,
  type MedicationRequestState,
  medicationRequestsReadModel,
  type OrderState,
  ordersReadModel,
  type ReadModel,
  type RefillState,
  refillsReadModel,
} from '@novamed-stream/read-models';

/** The expected final state of every aggregate, as the read models should hold it. */
export interface GroundTruthSnapshot {
  orders: OrderState[];
  medication_requests: MedicationRequestState[];
  refills: RefillState[];
}

class Folded<S extends AggregateState> {
  readonly states = new Map<string, S>();

  constructor(
    readonly model: ReadModel<S>,
    readonly idField: keyof S & string,
  ) {}

  apply(event: NovaMedEvent): void {
    const id = this.model.idOf(event);
    if (id === undefined) return;
    const current = this.states.get(id) ?? this.model.initial(id, event.clinic_id);
    this.states.set(id, this.model.evolve(current, event));
  }

  sorted(clinicId: string | undefined): S[] {
    const out = [...this.states.values()].filter(
      (state) => clinicId === undefined || state.clinic_id === clinicId,
    );
    return out.sort((a, b) => compare(String(a[this.idField]), String(b[this.idField])));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The ground truth: every event the sandbox sent, folded with the same pure `evolve` functions
 * the projectors use (`@novamed-stream/read-models`). Because those are order-independent and
 * idempotent, folding each event once, in generation order, gives exactly the state a receiver
 * must reach from any delivery order with any duplicates: cancelled is terminal and wins, a
 * refill's later decision wins, every field is last-writer-wins by event timestamp.
 */
export class GroundTruth {
  readonly #orders = new Folded(ordersReadModel, 'order_id');
  readonly #requests = new Folded(medicationRequestsReadModel, 'medication_request_id');
  readonly #refills = new Folded(refillsReadModel, 'refill_id');
  #events = 0;

  /** Folds one sent event in (call once per event_id; a repeat changes nothing anyway). */
  record(event: NovaMedEvent): void {
    this.#events++;
    this.#orders.apply(event);
    this.#requests.apply(event);
    this.#refills.apply(event);
  }

  /** Events recorded. */
  get events(): number {
    return this.#events;
  }

  /** Aggregates per read model. */
  counts(): { orders: number; medication_requests: number; refills: number } {
    return {
      orders: this.#orders.states.size,
      medication_requests: this.#requests.states.size,
      refills: this.#refills.states.size,
    };
  }

  /** Every aggregate's expected state, sorted by id; only one clinic's with `clinicId`. */
  snapshot(clinicId?: string): GroundTruthSnapshot {
    return {
      orders: this.#orders.sorted(clinicId),
      medication_requests: this.#requests.sorted(clinicId),
      refills: this.#refills.sorted(clinicId),
    };
  }

  /** Forgets everything. */
  clear(): void {
    this.#orders.states.clear();
    this.#requests.states.clear();
    this.#refills.states.clear();
    this.#events = 0;
  }
}
