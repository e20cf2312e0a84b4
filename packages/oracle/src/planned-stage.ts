import type { EntityKind, PlannedStage } from './lifecycle-plan.js';
import { LIFECYCLE_RULES } from './lifecycle-rules.js';

/** What a generator sends for a stage: a webhook envelope. */
export interface SentEnvelope {
  readonly event_type: string;
  readonly event_id: string;
  readonly timestamp: string;
  readonly clinic_id: string;
  readonly data: Readonly<Record<string, unknown>>;
}

function isKind(value: string): value is EntityKind {
  return Object.hasOwn(LIFECYCLE_RULES, value);
}

/**
 * The planned stage a generator records for an envelope it sends: `<kind>:<stage>` split, the
 * entity id from the kind's id field. Throws for an envelope no entity's lifecycle has (a
 * generator's bug: generators only send planned stages).
 */
export function plannedStage(envelope: SentEnvelope): PlannedStage {
  const [kind, stage] = envelope.event_type.split(':');
  if (kind === undefined || stage === undefined || !isKind(kind)) {
    throw new Error(`no planned lifecycle has the event type ${envelope.event_type}`);
  }
  const id = envelope.data[LIFECYCLE_RULES[kind].idColumn];
  if (typeof id !== 'string') throw new Error(`a planned ${kind} stage without its id`);
  return {
    kind,
    id,
    stage,
    event_id: envelope.event_id,
    at: envelope.timestamp,
    clinic_id: envelope.clinic_id,
    fields: envelope.data,
  };
}
