import type { NovaMedEvent } from '@novamed-stream/events';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  type AggregateState,
  COMMON_FIELD_NAMES,
  medicationRequestsReadModel,
  ordersReadModel,
  project,
  type ReadModel,
  refillsReadModel,
} from '../src/index.js';
import { event, sample } from './events.js';

const shipped = sample('orderShipped');
const approved = sample('medicationRequestApproved');
const MODELS: ReadonlyArray<readonly [string, ReadModel<AggregateState>, NovaMedEvent[]]> = [
  [
    'orders',
    ordersReadModel,
    [
      shipped,
      event('order:cancelled', '2025-01-16T08:00:00Z', {
        order_id: String(ordersReadModel.idOf(shipped)),
        reason: 'moved',
      }),
    ],
  ],
  [
    'medication_requests',
    medicationRequestsReadModel,
    [
      approved,
      event('medication_request:cancelled', '2025-01-16T08:00:00Z', {
        medication_request_id: String(medicationRequestsReadModel.idOf(approved)),
        reason: 'duplicate',
      }),
    ],
  ],
  [
    'refills',
    refillsReadModel,
    [
      event('refill:requested', '2025-01-15T08:00:00Z', {
        refill_id: 'rf_1',
        medication_request_id: 'mr_1',
        patient_id: 'pat_1',
      }),
      event('refill:denied', '2025-01-16T08:00:00Z', { refill_id: 'rf_1', reason: 'too early' }),
    ],
  ],
];

describe.each(MODELS)('the %s state schema', (_name, model, events) => {
  const names = Object.keys(model.schema.properties);

  it('is the state: initial has exactly its fields, in its order, and matches it', () => {
    const initial = model.initial('id-1', 'clinic-1');
    expect(Object.keys(initial)).toEqual(names);
    expect(initial).toHaveProperty(model.idKey, 'id-1');
    expect(Value.Errors(model.schema as never, initial).First()).toBeUndefined();
  });

  it('types every value evolve writes (no field outside the schema, none of another type)', () => {
    const state = project(model, events);
    expect(state).toBeDefined();
    expect(Object.keys(state ?? {})).toEqual(names);
    expect(Value.Errors(model.schema as never, state).First()).toBeUndefined();
    // Every typed field was written by the events above, so each one is read from `data`.
    for (const [name, field] of Object.entries(model.schema.properties)) {
      if (field.source !== undefined) expect(state?.field_versions).toHaveProperty(name);
    }
  });

  it('has the common fields and a column and a de-identification rule on every field', () => {
    for (const name of COMMON_FIELD_NAMES) expect(names).toContain(name);
    for (const field of Object.values(model.schema.properties)) {
      expect(['text', 'numeric', 'timestamptz', 'jsonb']).toContain(field.column);
      expect(field.deidentify).toBeDefined();
    }
  });
});
