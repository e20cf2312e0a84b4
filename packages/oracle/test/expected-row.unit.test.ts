import { describe, expect, it } from 'vitest';
import { compareRows, type EntityPlan, expectedRow, type PlannedStage } from '../src/index.js';

const CLINIC = 'clinic_1';
let n = 0;
function stage(
  kind: PlannedStage['kind'],
  id: string,
  name: string,
  at: string,
  fields: Record<string, unknown> = {},
): PlannedStage {
  n += 1;
  const idKey =
    kind === 'order' ? 'order_id' : kind === 'refill' ? 'refill_id' : 'medication_request_id';
  return {
    kind,
    id,
    stage: name,
    event_id: `evt_${String(n).padStart(4, '0')}`,
    at,
    clinic_id: CLINIC,
    fields: { [idKey]: id, ...fields },
  };
}
const plan = (kind: PlannedStage['kind'], id: string, stages: PlannedStage[]): EntityPlan => ({
  kind,
  id,
  stages,
});

describe('expectedRow: the partner rules over a plan', () => {
  const created = stage('order', 'o1', 'created', '2025-01-01T10:00:00Z', {
    patient_id: 'p1',
    shipping_address: { line1: 'a' },
  });
  const shipped = stage('order', 'o1', 'shipped', '2025-01-02T10:00:00.000+02:00', {
    carrier: 'UPS',
    tracking_number: 't1',
    shipping_address: { line1: 'b' },
  });
  const delivered = stage('order', 'o1', 'delivered', '2025-01-03T10:00:00Z');
  const cancelled = stage('order', 'o1', 'cancelled', '2025-01-01T12:00:00Z', { reason: 'r' });

  it('an order: the furthest stage, each field the latest sent, stage times in UTC', () => {
    expect(expectedRow(plan('order', 'o1', [created, shipped, delivered]))).toEqual({
      order_id: 'o1',
      clinic_id: CLINIC,
      status: 'delivered',
      patient_id: 'p1',
      medication_request_id: null,
      tracking_number: 't1',
      carrier: 'UPS',
      estimated_delivery: null,
      shipping_address: { line1: 'b' },
      cancel_reason: null,
      created_at: '2025-01-01T10:00:00.000Z',
      processing_at: null,
      shipped_at: '2025-01-02T08:00:00.000Z',
      delivered_at: '2025-01-03T10:00:00.000Z',
      cancelled_at: null,
      first_event_at: '2025-01-01T10:00:00.000Z',
      last_event_at: '2025-01-03T10:00:00.000Z',
      last_event_id: delivered.event_id,
      attributes: {
        order_id: 'o1',
        patient_id: 'p1',
        shipping_address: { line1: 'b' },
        carrier: 'UPS',
        tracking_number: 't1',
      },
    });
  });

  it('cancelled is final, even when its timestamp is before the delivery', () => {
    const row = expectedRow(plan('order', 'o1', [created, shipped, delivered, cancelled]));
    expect(row).toMatchObject({ status: 'cancelled', cancel_reason: 'r' });
    expect(row?.['last_event_id']).toBe(delivered.event_id);
  });

  it('answers for the delivered subset only, and no row when nothing was delivered', () => {
    const all = plan('order', 'o1', [created, shipped, delivered, cancelled]);
    expect(expectedRow(all, new Set([created.event_id, shipped.event_id]))).toMatchObject({
      status: 'shipped',
      delivered_at: null,
      cancelled_at: null,
    });
    expect(expectedRow(all, new Set())).toBeUndefined();
    expect(expectedRow(all, new Set(['evt_other']))).toBeUndefined();
  });

  it('a refill: the later decision wins, whichever came first', () => {
    const requested = stage('refill', 'r1', 'requested', '2025-01-01T00:00:00Z');
    const denied = stage('refill', 'r1', 'denied', '2025-01-02T00:00:00Z', { reason: 'early' });
    const approved = stage('refill', 'r1', 'approved', '2025-01-03T00:00:00Z');
    expect(expectedRow(plan('refill', 'r1', [approved, requested, denied]))).toMatchObject({
      status: 'approved',
      deny_reason: 'early',
      denied_at: '2025-01-02T00:00:00.000Z',
    });
    const revoked = stage('refill', 'r1', 'denied', '2025-01-04T00:00:00Z', { reason: 'no' });
    expect(expectedRow(plan('refill', 'r1', [requested, approved, revoked]))).toMatchObject({
      status: 'denied',
      deny_reason: 'no',
    });
  });

  it('a medication request: cancelled is final; a field sent as null is a value', () => {
    const c = stage('medication_request', 'm1', 'created', '2025-01-01T00:00:00Z', {
      quantity: 3,
      medication_name: 'x',
    });
    const f = stage('medication_request', 'm1', 'filled', '2025-01-03T00:00:00Z', {
      medication_name: null,
    });
    const x = stage('medication_request', 'm1', 'cancelled', '2025-01-02T00:00:00Z');
    expect(expectedRow(plan('medication_request', 'm1', [c, f, x]))).toMatchObject({
      status: 'cancelled',
      quantity: 3,
      medication_name: null,
      cancel_reason: null,
    });
  });

  it('one event_id planned twice counts once, its first stage', () => {
    const first = stage('order', 'o2', 'created', '2025-01-01T00:00:00Z', { carrier: 'A' });
    const again = { ...first, stage: 'delivered', fields: { ...first.fields, carrier: 'B' } };
    expect(expectedRow(plan('order', 'o2', [first, again]))).toMatchObject({
      status: 'created',
      carrier: 'A',
    });
  });

  it('refuses a stage the rules do not know', () => {
    expect(() =>
      expectedRow(
        plan('order', 'o3', [stage('order', 'o3', 'teleported', '2025-01-01T00:00:00Z')]),
      ),
    ).toThrow(/no order stage named teleported/);
  });
});

describe('compareRows', () => {
  it('names missing, unexpected and mismatched rows by id and column only', () => {
    const expected = [
      { order_id: 'a', status: 'delivered', shipping_address: { zip: '1', city: 'c' } },
      { order_id: 'b', status: 'created' },
    ];
    const actual = [
      { order_id: 'a', status: 'cancelled', shipping_address: { city: 'c', zip: '1' }, extra: 1 },
      { order_id: 'z', status: 'created' },
    ];
    expect(compareRows('order', expected, actual)).toEqual({
      missing: ['b'],
      unexpected: ['z'],
      mismatched: [{ id: 'a', columns: ['status'] }],
      wrongRows: 3,
    });
  });

  it('equates a Date with its ISO text, and agrees on equal rows', () => {
    const at = '2025-01-01T00:00:00.000Z';
    expect(
      compareRows(
        'refill',
        [{ refill_id: 'r', approved_at: at }],
        [{ refill_id: 'r', approved_at: new Date(at) }],
      ).wrongRows,
    ).toBe(0);
  });
});
