import type { EntityKind } from './lifecycle-plan.js';

/** A field a row takes from the values sent: the latest stage that sent it decides. */
export interface FieldRule {
  /** The row's column. */
  readonly column: string;
  /** The sent field it comes from. */
  readonly from: string;
  /** When set, only this stage's value counts (a cancellation's `reason`). */
  readonly onlyStage?: string;
}

/** The business rules of one kind of entity, in the partner's terms. */
export interface LifecycleRules {
  /** The column (and sent field) naming the entity. */
  readonly idColumn: string;
  /** Stages a lifecycle moves through, in order: the furthest one reached is the status. */
  readonly progress: readonly string[];
  /**
   * Final stages: once one is reached it is the status whatever else arrives, earlier or
   * later (a cancelled order stays cancelled). When several were reached, the later one
   * (timestamp, then event_id) is the latest decision and wins.
   */
  readonly final: readonly string[];
  readonly fields: readonly FieldRule[];
}

const same = (...columns: string[]): FieldRule[] =>
  columns.map((column) => ({ column, from: column }));

/**
 * The rules, written from NovaMed's guide and the system brief, not from the read models:
 * - an order is created, processing, shipped, delivered; cancelled (before shipping, lost in
 *   transit, returned after delivery) is final;
 * - a medication request is created, approved, filled; cancelled is final;
 * - a refill is requested, then approved or denied; a later decision overturns an earlier one;
 * - every field is the value of the latest stage that sent it; the reason of a cancellation
 *   or a denial is kept as `cancel_reason` / `deny_reason`;
 * - each stage's column `<stage>_at` holds when that stage was first reached.
 */
export const LIFECYCLE_RULES: Readonly<Record<EntityKind, LifecycleRules>> = {
  order: {
    idColumn: 'order_id',
    progress: ['created', 'processing', 'shipped', 'delivered'],
    final: ['cancelled'],
    fields: [
      ...same(
        'patient_id',
        'medication_request_id',
        'tracking_number',
        'carrier',
        'estimated_delivery',
        'shipping_address',
      ),
      { column: 'cancel_reason', from: 'reason', onlyStage: 'cancelled' },
    ],
  },
  medication_request: {
    idColumn: 'medication_request_id',
    progress: ['created', 'approved', 'filled'],
    final: ['cancelled'],
    fields: [
      ...same('patient_id', 'practitioner_id', 'medication_name', 'quantity', 'refills'),
      { column: 'cancel_reason', from: 'reason', onlyStage: 'cancelled' },
    ],
  },
  refill: {
    idColumn: 'refill_id',
    progress: ['requested'],
    final: ['approved', 'denied'],
    fields: [
      ...same('medication_request_id', 'patient_id'),
      { column: 'deny_reason', from: 'reason', onlyStage: 'denied' },
    ],
  },
};
