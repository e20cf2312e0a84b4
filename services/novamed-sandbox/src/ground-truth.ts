import { type ExpectedRow, LifecyclePlans, type PlannedStage } from '@novamed-stream/oracle';

/** The expected final row of every entity, as the read models should hold it. */
export interface GroundTruthSnapshot {
  orders: ExpectedRow[];
  medication_requests: ExpectedRow[];
  refills: ExpectedRow[];
}

/**
 * The ground truth: the lifecycle stages the sandbox planned and sent, and the rows they must
 * give, computed by the independent oracle (`@novamed-stream/oracle`: the partner's rules
 * written without the read models' code). A receiver must reach these rows from any delivery
 * order with any duplicates: cancelled is final, a refill's later decision wins, every field
 * is the latest value sent.
 */
export class GroundTruth {
  readonly #plans = new LifecyclePlans();

  /** Records one sent stage (call once per event_id, duplicates aside). */
  record(stage: PlannedStage): void {
    this.#plans.record(stage);
  }

  /** Events recorded. */
  get events(): number {
    return this.#plans.stages;
  }

  /** Entities per read model. */
  counts(): { orders: number; medication_requests: number; refills: number } {
    return {
      orders: this.#plans.plans('order').length,
      medication_requests: this.#plans.plans('medication_request').length,
      refills: this.#plans.plans('refill').length,
    };
  }

  /** The plans themselves, for a caller that computes rows for a subset of the events. */
  get plans(): LifecyclePlans {
    return this.#plans;
  }

  /** Every entity's expected row, sorted by id; only one clinic's with `clinicId`. */
  snapshot(clinicId?: string): GroundTruthSnapshot {
    const rows = (kind: 'order' | 'medication_request' | 'refill') =>
      this.#plans
        .expectedRows(kind)
        .filter((row) => clinicId === undefined || row['clinic_id'] === clinicId);
    return {
      orders: rows('order'),
      medication_requests: rows('medication_request'),
      refills: rows('refill'),
    };
  }

  /** Forgets everything. */
  clear(): void {
    this.#plans.clear();
  }
}
