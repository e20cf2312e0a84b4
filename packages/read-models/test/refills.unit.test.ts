import type { NovaMedEvent } from '@novamed-stream/events';
import { describe, expect, it } from 'vitest';
import { project, type RefillState, refillsReadModel } from '../src/index.js';
import { CLINIC, event, sample } from './events.js';

const REFILL = 'ref_1';
const given = (...events: NovaMedEvent[]) => project(refillsReadModel, events, REFILL);
const requested = (ts: string) =>
  event('refill:requested', ts, {
    refill_id: REFILL,
    medication_request_id: 'mr_1',
    patient_id: 'pat_1',
  });
const approved = (ts: string, id?: string) =>
  event('refill:approved', ts, { refill_id: REFILL }, id === undefined ? {} : { event_id: id });
const denied = (ts: string, reason: string, id?: string) =>
  event(
    'refill:denied',
    ts,
    { refill_id: REFILL, reason },
    id === undefined ? {} : { event_id: id },
  );

describe('refills read model', () => {
  it('given a request, the row is requested with its ids', () => {
    const v = '2025-01-10T08:00:00.000Z|evt_r';
    const e = event(
      'refill:requested',
      '2025-01-10T08:00:00Z',
      { refill_id: REFILL, medication_request_id: 'mr_1', patient_id: 'pat_1' },
      { event_id: 'evt_r' },
    );

    expect(given(e)).toEqual({
      refill_id: REFILL,
      clinic_id: CLINIC,
      status: 'requested',
      medication_request_id: 'mr_1',
      patient_id: 'pat_1',
      deny_reason: null,
      requested_at: '2025-01-10T08:00:00.000Z',
      approved_at: null,
      denied_at: null,
      first_event_at: '2025-01-10T08:00:00.000Z',
      last_event_at: '2025-01-10T08:00:00.000Z',
      last_event_id: 'evt_r',
      attributes: { refill_id: REFILL, medication_request_id: 'mr_1', patient_id: 'pat_1' },
      field_versions: { clinic_id: v, status: v, medication_request_id: v, patient_id: v },
      attribute_versions: { refill_id: v, medication_request_id: v, patient_id: v },
    } satisfies RefillState);
  });

  it('requested -> approved, and approved wins over a later-stamped request', () => {
    expect(
      given(requested('2025-01-10T08:00:00Z'), approved('2025-01-11T08:00:00Z')),
    ).toMatchObject({ status: 'approved', approved_at: '2025-01-11T08:00:00.000Z' });
    expect(given(approved('2025-01-11T08:00:00Z'), requested('2025-01-12T08:00:00Z'))?.status).toBe(
      'approved',
    );
  });

  it('approved vs denied: the later timestamp wins, in any arrival order', () => {
    const yes = approved('2025-01-11T08:00:00Z');
    const no = denied('2025-01-12T08:00:00Z', 'too early');

    expect(given(yes, no)).toMatchObject({
      status: 'denied',
      deny_reason: 'too early',
      approved_at: '2025-01-11T08:00:00.000Z',
      denied_at: '2025-01-12T08:00:00.000Z',
    });
    expect(given(no, yes)).toEqual(given(yes, no));
    expect(given(denied('2025-01-10T08:00:00Z', 'x'), yes)?.status).toBe('approved');
  });

  it('approved vs denied at the same instant: the greater event_id wins', () => {
    const yes = approved('2025-01-11T08:00:00Z', 'evt_b');
    const no = denied('2025-01-11T08:00:00.000Z', 'x', 'evt_a');

    expect(given(no, yes)?.status).toBe('approved');
    expect(given(yes, no)?.status).toBe('approved');
  });

  it('idOf reads refill_id and ignores medication request and order events', () => {
    expect(refillsReadModel.idOf(requested('2025-01-10T08:00:00Z'))).toBe(REFILL);
    expect(refillsReadModel.idOf(sample('medicationRequestApproved'))).toBeUndefined();
    expect(refillsReadModel.idOf(sample('orderShipped'))).toBeUndefined();
  });
});
