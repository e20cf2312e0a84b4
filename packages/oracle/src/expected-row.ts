import type { EntityPlan, ExpectedRow, PlannedStage } from './lifecycle-plan.js';
import { type FieldRule, LIFECYCLE_RULES, type LifecycleRules } from './lifecycle-rules.js';

/** ISO 8601 UTC with milliseconds, the one spelling of an instant in a row. */
function iso(at: string): string {
  return new Date(at).toISOString();
}

/** Earlier first; the same instant falls back to the event_id, so no two stages tie. */
function chronological(a: PlannedStage, b: PlannedStage): number {
  const byTime = Date.parse(a.at) - Date.parse(b.at);
  if (byTime !== 0) return byTime;
  return a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0;
}

/**
 * The stages that took effect: those delivered (all without `delivered`), each event_id once.
 * A plan naming one event_id twice keeps its first stage: the plan is in sending order, and a
 * receiver keeps the first copy of an event it saw.
 */
function appliedStages(plan: EntityPlan, delivered: ReadonlySet<string> | undefined) {
  const seen = new Set<string>();
  const applied: PlannedStage[] = [];
  for (const stage of plan.stages) {
    if (seen.has(stage.event_id)) continue;
    seen.add(stage.event_id);
    if (delivered === undefined || delivered.has(stage.event_id)) applied.push(stage);
  }
  return applied.sort(chronological);
}

function statusOf(rules: LifecycleRules, timeline: readonly PlannedStage[]): string {
  const finals = timeline.filter((s) => rules.final.includes(s.stage));
  const latestFinal = finals.at(-1);
  if (latestFinal !== undefined) return latestFinal.stage;
  let furthest = -1;
  for (const s of timeline) furthest = Math.max(furthest, rules.progress.indexOf(s.stage));
  return rules.progress[furthest] as string;
}

function fieldValue(rule: FieldRule, timeline: readonly PlannedStage[]): unknown {
  let value: unknown = null;
  for (const s of timeline) {
    if (rule.onlyStage !== undefined && s.stage !== rule.onlyStage) continue;
    if (Object.hasOwn(s.fields, rule.from) && s.fields[rule.from] !== undefined) {
      value = s.fields[rule.from];
    }
  }
  return value;
}

function attributesOf(timeline: readonly PlannedStage[]): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const s of timeline) {
    for (const [key, value] of Object.entries(s.fields)) {
      if (value === undefined) continue;
      Object.defineProperty(attributes, key, {
        value: structuredClone(value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return attributes;
}

/**
 * The row a read model must hold for `plan` once exactly the stages whose event_id is in
 * `delivered` took effect (every planned stage when `delivered` is omitted), whatever order
 * they arrived in and however often; `undefined` when none did (no row). Throws on a stage the
 * rules do not know: that is a generator's bug.
 */
export function expectedRow(
  plan: EntityPlan,
  delivered?: ReadonlySet<string>,
): ExpectedRow | undefined {
  const rules = LIFECYCLE_RULES[plan.kind];
  const stageNames = [...rules.progress, ...rules.final];
  for (const s of plan.stages) {
    if (!stageNames.includes(s.stage)) {
      throw new Error(`the oracle knows no ${plan.kind} stage named ${s.stage}`);
    }
  }
  const timeline = appliedStages(plan, delivered);
  const first = timeline[0];
  const last = timeline.at(-1);
  if (first === undefined || last === undefined) return undefined;

  const row: ExpectedRow = {
    [rules.idColumn]: plan.id,
    clinic_id: last.clinic_id,
    status: statusOf(rules, timeline),
  };
  for (const rule of rules.fields) row[rule.column] = fieldValue(rule, timeline);
  for (const name of stageNames) {
    const reached = timeline.find((s) => s.stage === name);
    row[`${name}_at`] = reached === undefined ? null : iso(reached.at);
  }
  row['first_event_at'] = iso(first.at);
  row['last_event_at'] = iso(last.at);
  row['last_event_id'] = last.event_id;
  row['attributes'] = attributesOf(timeline);
  return row;
}
