import type { NovaMedEvent } from '@novamed-stream/events';
import { describe, expect, it } from 'vitest';
import { type OrderState, ordersReadModel, project } from '../src/index.js';
import { CLINIC, event, sample, withExtra } from './events.js';

const ORDER = 'ord_1';
const V = (timestamp: string, eventId: string) => `${timestamp}|${eventId}`;
const given = (...events: NovaMedEvent[]) => project(ordersReadModel, events, ORDER);
const created = (ts: string, id?: string) =>
  event('order:created', ts, { order_id: ORDER }, id === undefined ? {} : { event_id: id });
const processing = (ts: string) => event('order:processing', ts, { order_id: ORDER });
const shipped = (ts: string, tracking: string, id?: string) =>
  event(
    'order:shipped',
    ts,
    {
      order_id: ORDER,
      patient_id: 'pat_1',
      medication_request_id: 'mr_1',
      tracking_number: tracking,
      carrier: 'UPS',
      estimated_delivery: '2025-01-18',
      shipping_address: { line1: '1 Main St', city: 'SF', state: 'CA', zip: '94102' },
    },
    id === undefined ? {} : { event_id: id },
  );
const delivered = (ts: string) => event('order:delivered', ts, { order_id: ORDER });
const cancelled = (ts: string, reason?: string | null) =>
  event(
    'order:cancelled',
    ts,
    reason === undefined ? { order_id: ORDER } : { order_id: ORDER, reason },
  );

describe('orders read model', () => {
  it("given the guide's order:shipped sample, the row holds every field of it", () => {
    const shippedSample = sample('orderShipped');
    const v = V('2025-01-15T10:30:00.000Z', 'evt_abc123xyz');
    const address = { line1: '123 Main Street', city: 'San Francisco', state: 'CA', zip: '94102' };

    expect(project(ordersReadModel, [shippedSample])).toEqual({
      order_id: 'ord_12345',
      clinic_id: CLINIC,
      status: 'shipped',
      patient_id: 'pat_67890',
      medication_request_id: 'med_req_11111',
      tracking_number: '1Z999AA10123456784',
      carrier: 'UPS',
      estimated_delivery: '2025-01-18',
      shipping_address: address,
      cancel_reason: null,
      created_at: null,
      processing_at: null,
      shipped_at: '2025-01-15T10:30:00.000Z',
      delivered_at: null,
      cancelled_at: null,
      first_event_at: '2025-01-15T10:30:00.000Z',
      last_event_at: '2025-01-15T10:30:00.000Z',
      last_event_id: 'evt_abc123xyz',
      attributes: {
        order_id: 'ord_12345',
        patient_id: 'pat_67890',
        medication_request_id: 'med_req_11111',
        tracking_number: '1Z999AA10123456784',
        carrier: 'UPS',
        estimated_delivery: '2025-01-18',
        shipping_address: address,
      },
      field_versions: {
        clinic_id: v,
        status: v,
        patient_id: v,
        medication_request_id: v,
        tracking_number: v,
        carrier: v,
        estimated_delivery: v,
        shipping_address: v,
      },
      attribute_versions: {
        order_id: v,
        patient_id: v,
        medication_request_id: v,
        tracking_number: v,
        carrier: v,
        estimated_delivery: v,
        shipping_address: v,
      },
    } satisfies OrderState);
  });

  it('walks the lifecycle created -> processing -> shipped -> delivered, keeping each stage time', () => {
    const state = given(
      created('2025-01-10T08:00:00Z'),
      processing('2025-01-11T08:00:00+02:00'),
      shipped('2025-01-12T08:00:00.5Z', 'TRK1'),
      delivered('2025-01-14T08:00:00Z'),
    );

    expect(state).toMatchObject({
      status: 'delivered',
      created_at: '2025-01-10T08:00:00.000Z',
      processing_at: '2025-01-11T06:00:00.000Z',
      shipped_at: '2025-01-12T08:00:00.500Z',
      delivered_at: '2025-01-14T08:00:00.000Z',
      cancelled_at: null,
      first_event_at: '2025-01-10T08:00:00.000Z',
      last_event_at: '2025-01-14T08:00:00.000Z',
    });
  });

  it('a higher stage wins over a lower one that arrives later or carries a later timestamp', () => {
    const state = given(delivered('2025-01-14T08:00:00Z'), processing('2025-01-20T08:00:00Z'));

    expect(state?.status).toBe('delivered');
    expect(state?.processing_at).toBe('2025-01-20T08:00:00.000Z');
    expect(state?.last_event_at).toBe('2025-01-20T08:00:00.000Z');
  });

  it('cancelled is terminal: it wins over delivered, whether it is stamped before or after', () => {
    const after = given(delivered('2025-01-14T08:00:00Z'), cancelled('2025-01-15T08:00:00Z'));
    const before = given(cancelled('2025-01-13T08:00:00Z'), delivered('2025-01-14T08:00:00Z'));

    expect(after).toMatchObject({ status: 'cancelled', cancelled_at: '2025-01-15T08:00:00.000Z' });
    expect(before).toMatchObject({
      status: 'cancelled',
      cancelled_at: '2025-01-13T08:00:00.000Z',
      delivered_at: '2025-01-14T08:00:00.000Z',
    });
  });

  it('keeps the cancellation reason, last writer wins, and an explicit null clears it', () => {
    const reason = given(cancelled('2025-01-15T08:00:00Z', 'patient request'));
    const cleared = given(
      cancelled('2025-01-15T08:00:00Z', 'patient request'),
      cancelled('2025-01-16T08:00:00Z', null),
    );
    const absent = given(
      cancelled('2025-01-15T08:00:00Z', 'patient request'),
      cancelled('2025-01-16T08:00:00Z'),
    );

    expect(reason?.cancel_reason).toBe('patient request');
    expect(cleared?.cancel_reason).toBeNull();
    expect(cleared?.attributes['reason']).toBeNull();
    expect(absent?.cancel_reason).toBe('patient request');
    expect(absent?.cancelled_at).toBe('2025-01-15T08:00:00.000Z');
  });

  it('tracking number updates: the later timestamp wins, whatever the arrival order', () => {
    const first = shipped('2025-01-12T08:00:00Z', 'TRK-OLD');
    const update = shipped('2025-01-13T08:00:00Z', 'TRK-NEW');

    expect(given(first, update)?.tracking_number).toBe('TRK-NEW');
    expect(given(update, first)?.tracking_number).toBe('TRK-NEW');
    expect(given(update, first)?.shipped_at).toBe('2025-01-12T08:00:00.000Z');
  });

  it('equal timestamps are ordered by event_id, also across time-zone spellings', () => {
    const a = shipped('2025-01-12T08:00:00Z', 'TRK-A', 'evt_a');
    const b = shipped('2025-01-12T10:00:00.000+02:00', 'TRK-B', 'evt_b');

    expect(given(b, a)?.tracking_number).toBe('TRK-B');
    expect(given(a, b)).toEqual(given(b, a));
    expect(given(a, b)?.last_event_id).toBe('evt_b');
  });

  it('an absent field does not overwrite; an explicit null does', () => {
    const withPatient = event('order:created', '2025-01-10T08:00:00Z', {
      order_id: ORDER,
      patient_id: 'pat_1',
      medication_request_id: 'mr_1',
    });
    const withoutPatient = event('order:processing', '2025-01-11T08:00:00Z', { order_id: ORDER });
    const nullMedication = event('order:processing', '2025-01-12T08:00:00Z', {
      order_id: ORDER,
      medication_request_id: null,
    });

    expect(given(withPatient, withoutPatient, nullMedication)).toMatchObject({
      patient_id: 'pat_1',
      medication_request_id: null,
      attributes: { order_id: ORDER, patient_id: 'pat_1', medication_request_id: null },
    });
  });

  it('keeps unknown fields in attributes, last writer wins per key', () => {
    const older = withExtra(created('2025-01-10T08:00:00Z'), { priority: 'high', note: 'a' });
    const newer = withExtra(processing('2025-01-11T08:00:00Z'), {
      priority: 'low',
      pharmacy: { id: 'ph_1' },
    });

    expect(given(newer, older)?.attributes).toEqual({
      order_id: ORDER,
      priority: 'low',
      note: 'a',
      pharmacy: { id: 'ph_1' },
    });
  });

  it('a typed field of the wrong type stays out of the typed column but is kept in attributes', () => {
    const odd = withExtra(processing('2025-01-11T08:00:00Z'), { tracking_number: 42 });

    expect(given(shipped('2025-01-10T08:00:00Z', 'TRK1'), odd)).toMatchObject({
      tracking_number: 'TRK1',
      attributes: { tracking_number: 42 },
    });
  });

  it('clinic_id is last writer wins', () => {
    const state = given(
      event('order:processing', '2025-01-11T08:00:00Z', { order_id: ORDER }, { clinic_id: 'c2' }),
      event('order:created', '2025-01-10T08:00:00Z', { order_id: ORDER }, { clinic_id: 'c1' }),
    );

    expect(state?.clinic_id).toBe('c2');
  });

  it('idOf handles order events only, and evolve ignores events of other orders', () => {
    const other = event('order:created', '2025-01-10T08:00:00Z', { order_id: 'ord_2' });
    const state = ordersReadModel.initial(ORDER, CLINIC);

    expect(ordersReadModel.idOf(created('2025-01-10T08:00:00Z'))).toBe(ORDER);
    expect(ordersReadModel.idOf(sample('medicationRequestApproved'))).toBeUndefined();
    expect(
      ordersReadModel.idOf(event('refill:requested', '2025-01-10T08:00:00Z', { refill_id: 'r' })),
    ).toBeUndefined();
    expect(ordersReadModel.evolve(state, other)).toBe(state);
    expect(ordersReadModel.evolve(state, sample('medicationRequestApproved'))).toBe(state);
  });

  it('evolve never mutates its inputs and never shares objects with the event', () => {
    const e = shipped('2025-01-12T08:00:00Z', 'TRK1');
    const eventCopy = structuredClone(e);
    const state = ordersReadModel.initial(ORDER, CLINIC);
    const stateCopy = structuredClone(state);

    const next = ordersReadModel.evolve(state, e);

    expect(state).toEqual(stateCopy);
    expect(e).toEqual(eventCopy);
    expect(next.shipping_address).toEqual(e.data.shipping_address);
    expect(next.shipping_address).not.toBe(e.data.shipping_address);
  });

  it('the state is plain JSON: a JSON round trip changes nothing and no field is undefined', () => {
    const state = given(created('2025-01-10T08:00:00Z'), shipped('2025-01-12T08:00:00Z', 'T'));

    expect(JSON.parse(JSON.stringify(state))).toStrictEqual(state);
    expect(Object.values(state ?? {})).not.toContain(undefined);
  });

  it('keeps a data key named __proto__ as plain data', () => {
    const e = withExtra(created('2025-01-10T08:00:00Z'), JSON.parse('{"__proto__": {"x": 1}}'));
    const state = given(e);

    expect(Object.hasOwn(state?.attributes ?? {}, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(state?.attributes)).toBe(Object.prototype);
    expect(Object.entries(JSON.parse(JSON.stringify(state)).attributes)).toContainEqual([
      '__proto__',
      { x: 1 },
    ]);
  });

  it('project drops repeated event_ids and refuses a mix of orders without an id', () => {
    const e = created('2025-01-10T08:00:00Z');
    const other = event('order:created', '2025-01-10T08:00:00Z', { order_id: 'ord_2' });

    expect(project(ordersReadModel, [e, e, e])).toEqual(project(ordersReadModel, [e]));
    expect(project(ordersReadModel, [sample('medicationRequestApproved')])).toBeUndefined();
    expect(() => project(ordersReadModel, [e, other])).toThrow(/several aggregates/);
    expect(project(ordersReadModel, [e, other], 'ord_2')?.order_id).toBe('ord_2');
  });
});
