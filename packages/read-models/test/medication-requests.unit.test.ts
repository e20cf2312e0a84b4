import type { NovaMedEvent } from '@novamed-stream/events';
import { describe, expect, it } from 'vitest';
import { type MedicationRequestState, medicationRequestsReadModel, project } from '../src/index.js';
import { CLINIC, event, sample, withExtra } from './events.js';

const MR = 'mr_1';
const given = (...events: NovaMedEvent[]) => project(medicationRequestsReadModel, events, MR);
const created = (ts: string, extra: { quantity?: number | null; refills?: number | null } = {}) =>
  event('medication_request:created', ts, {
    medication_request_id: MR,
    patient_id: 'pat_1',
    medication_name: 'Drug A',
    ...extra,
  });
const approved = (ts: string, quantity = 1) =>
  event('medication_request:approved', ts, {
    medication_request_id: MR,
    patient_id: 'pat_1',
    practitioner_id: 'prac_1',
    medication_name: 'Drug A',
    quantity,
    refills: 2,
    approved_at: '2025-01-01T00:00:00Z',
  });
const filled = (ts: string) =>
  event('medication_request:filled', ts, { medication_request_id: MR });
const cancelled = (ts: string, reason?: string) =>
  event(
    'medication_request:cancelled',
    ts,
    reason === undefined ? { medication_request_id: MR } : { medication_request_id: MR, reason },
  );

describe('medication requests read model', () => {
  it("given the guide's medication_request:approved sample, the row holds every field of it", () => {
    const v = '2025-01-15T09:00:00.000Z|evt_def456xyz';

    expect(project(medicationRequestsReadModel, [sample('medicationRequestApproved')])).toEqual({
      medication_request_id: 'med_req_11111',
      clinic_id: CLINIC,
      status: 'approved',
      patient_id: 'pat_67890',
      practitioner_id: 'prac_22222',
      medication_name: 'Testosterone Cypionate',
      quantity: 1,
      refills: 3,
      cancel_reason: null,
      created_at: null,
      approved_at: '2025-01-15T09:00:00.000Z',
      filled_at: null,
      cancelled_at: null,
      first_event_at: '2025-01-15T09:00:00.000Z',
      last_event_at: '2025-01-15T09:00:00.000Z',
      last_event_id: 'evt_def456xyz',
      attributes: {
        medication_request_id: 'med_req_11111',
        patient_id: 'pat_67890',
        practitioner_id: 'prac_22222',
        medication_name: 'Testosterone Cypionate',
        quantity: 1,
        refills: 3,
        approved_at: '2025-01-15T09:00:00.000Z',
      },
      field_versions: {
        clinic_id: v,
        status: v,
        patient_id: v,
        practitioner_id: v,
        medication_name: v,
        quantity: v,
        refills: v,
      },
      attribute_versions: {
        medication_request_id: v,
        patient_id: v,
        practitioner_id: v,
        medication_name: v,
        quantity: v,
        refills: v,
        approved_at: v,
      },
    } satisfies MedicationRequestState);
  });

  it('walks the lifecycle created -> approved -> filled, in any arrival order', () => {
    const events = [
      created('2025-01-10T08:00:00Z'),
      approved('2025-01-11T08:00:00Z'),
      filled('2025-01-12T08:00:00Z'),
    ];
    const state = given(...events);

    expect(state).toMatchObject({
      status: 'filled',
      created_at: '2025-01-10T08:00:00.000Z',
      approved_at: '2025-01-11T08:00:00.000Z',
      filled_at: '2025-01-12T08:00:00.000Z',
      practitioner_id: 'prac_1',
    });
    expect(given(...events.toReversed())).toEqual(state);
  });

  it('approved_at is the envelope timestamp; data.approved_at stays in attributes', () => {
    const state = given(approved('2025-01-11T08:00:00Z'));

    expect(state?.approved_at).toBe('2025-01-11T08:00:00.000Z');
    expect(state?.attributes['approved_at']).toBe('2025-01-01T00:00:00Z');
  });

  it('cancelled is terminal: it wins over filled, and keeps its reason', () => {
    const state = given(filled('2025-01-12T08:00:00Z'), cancelled('2025-01-11T08:00:00Z', 'dup'));

    expect(state).toMatchObject({ status: 'cancelled', cancel_reason: 'dup' });
  });

  it('quantity and refills are last writer wins; an explicit null clears them', () => {
    const state = given(
      approved('2025-01-11T08:00:00Z', 5),
      created('2025-01-12T08:00:00Z', { quantity: null }),
    );

    expect(state).toMatchObject({ status: 'approved', quantity: null, refills: 2 });
  });

  it('keeps unknown fields in attributes', () => {
    const state = given(withExtra(created('2025-01-10T08:00:00Z'), { dosage: '1ml weekly' }));

    expect(state?.attributes['dosage']).toBe('1ml weekly');
  });

  it('idOf ignores orders and refills, even when they name a medication request', () => {
    expect(medicationRequestsReadModel.idOf(created('2025-01-10T08:00:00Z'))).toBe(MR);
    expect(medicationRequestsReadModel.idOf(sample('orderShipped'))).toBeUndefined();
    const refill = event('refill:requested', '2025-01-10T08:00:00Z', {
      refill_id: 'ref_1',
      medication_request_id: MR,
    });
    expect(medicationRequestsReadModel.idOf(refill)).toBeUndefined();
    expect(given(created('2025-01-10T08:00:00Z'), refill)?.last_event_at).toBe(
      '2025-01-10T08:00:00.000Z',
    );
  });
});
