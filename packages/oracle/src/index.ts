export { compareRows, type RowComparison } from './compare-rows.js';
export { expectedRow } from './expected-row.js';
export type { EntityKind, EntityPlan, ExpectedRow, PlannedStage } from './lifecycle-plan.js';
export { LifecyclePlans } from './lifecycle-plans.js';
export { type FieldRule, LIFECYCLE_RULES, type LifecycleRules } from './lifecycle-rules.js';
export { plannedStage, type SentEnvelope } from './planned-stage.js';
