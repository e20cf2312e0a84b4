import { expectedRow } from './expected-row.js';
import type { EntityKind, EntityPlan, ExpectedRow, PlannedStage } from './lifecycle-plan.js';

interface MutablePlan {
  readonly kind: EntityKind;
  readonly id: string;
  readonly stages: PlannedStage[];
}

/**
 * A generator's book of intentions: every stage it planned and sent, grouped per entity, and
 * the rows the read models must hold from them ({@link expectedRow}).
 */
export class LifecyclePlans {
  readonly #plans = new Map<string, MutablePlan>();
  #stages = 0;

  /** Records one planned stage (in sending order). */
  record(stage: PlannedStage): void {
    const key = `${stage.kind}:${stage.id}`;
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      plan = { kind: stage.kind, id: stage.id, stages: [] };
      this.#plans.set(key, plan);
    }
    plan.stages.push(stage);
    this.#stages++;
  }

  /** Stages recorded. */
  get stages(): number {
    return this.#stages;
  }

  /** The plans of one kind of entity (all kinds without `kind`). */
  plans(kind?: EntityKind): EntityPlan[] {
    return [...this.#plans.values()].filter((p) => kind === undefined || p.kind === kind);
  }

  /** The plan of one entity, if any stage of it was recorded. */
  plan(kind: EntityKind, id: string): EntityPlan | undefined {
    return this.#plans.get(`${kind}:${id}`);
  }

  /**
   * The rows one read model must hold, sorted by id (code-unit order), given the event_ids
   * that took effect (all recorded ones when omitted); `filter` keeps some entities only.
   */
  expectedRows(
    kind: EntityKind,
    delivered?: ReadonlySet<string>,
    filter: (plan: EntityPlan) => boolean = () => true,
  ): ExpectedRow[] {
    const rows: { id: string; row: ExpectedRow }[] = [];
    for (const plan of this.plans(kind)) {
      if (!filter(plan)) continue;
      const row = expectedRow(plan, delivered);
      if (row !== undefined) rows.push({ id: plan.id, row });
    }
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return rows.map((r) => r.row);
  }

  /** Forgets everything. */
  clear(): void {
    this.#plans.clear();
    this.#stages = 0;
  }
}
