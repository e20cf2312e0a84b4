import type { AggregateKind, EventType, NovaMedEvent } from '@novamed-stream/events';
import fc from 'fast-check';

/** The aggregate id the properties fold; events of `OTHER_ID` are noise the models must skip. */
export const ID = 'agg_1';
const OTHER_ID = 'agg_2';

// Few instants, so equal timestamps (and ties broken by event_id) are common.
const INSTANTS = [
  Date.UTC(2025, 0, 10, 8, 0, 0),
  Date.UTC(2025, 0, 10, 8, 0, 0, 250),
  Date.UTC(2025, 0, 10, 9, 0, 0),
  Date.UTC(2025, 0, 11, 0, 0, 0),
  Date.UTC(2025, 0, 12, 23, 59, 59, 999),
];

/** `instant` written in the zone `offsetMinutes` east of UTC, the way a partner might. */
function spell(instant: number, offsetMinutes: number, withMs: boolean): string {
  const local = new Date(instant + offsetMinutes * 60_000).toISOString().slice(0, withMs ? 23 : 19);
  if (offsetMinutes === 0) return `${local}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** Timestamps from a small pool of instants, spelled with various zones and precisions. */
export const timestamp = fc
  .record({
    instant: fc.constantFrom(...INSTANTS),
    offset: fc.constantFrom(0, 0, 120, -330),
    withMs: fc.boolean(),
  })
  .filter(({ instant, withMs }) => withMs || instant % 1000 === 0)
  .map(({ instant, offset, withMs }) => spell(instant, offset, withMs));

const id = (...values: string[]) => fc.constantFrom(...values);
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 4 });
const address = fc.record(
  {
    line1: id('1 Main St', '2 Oak Ave'),
    line2: nullable(id('Apt 3')),
    city: id('San Francisco', 'Oakland'),
    state: id('CA'),
    zip: id('94102', '94607'),
  },
  { requiredKeys: ['line1', 'city', 'state', 'zip'] },
);
const text = id('a', 'b', 'duplicate', '');
const count = fc.integer({ min: 0, max: 3 });
const dateTime = timestamp;
const unknownValue = fc.oneof(
  fc.string({ maxLength: 3 }),
  fc.integer({ min: -5, max: 5 }),
  fc.constant(null),
  fc.boolean(),
  fc.record({ nested: fc.integer({ min: 0, max: 3 }) }),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
);

/** `data` with `required` keys always present and `optional` ones sometimes absent. */
function data(
  required: Record<string, fc.Arbitrary<unknown>>,
  optional: Record<string, fc.Arbitrary<unknown>>,
): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({ ...required, ...optional }, { requiredKeys: Object.keys(required) });
}

const aggregateId = fc.constantFrom(ID, ID, ID, ID, OTHER_ID);

// Unknown fields NovaMed might add; some reuse a typed field's name with another type, on event
// types whose schema does not declare that field (so the event stays valid).
const extras = (...keys: string[]) =>
  fc.dictionary(fc.constantFrom('note', 'priority', 'meta', ...keys), unknownValue, {
    maxKeys: 3,
  });

const DATA: Record<EventType, fc.Arbitrary<Record<string, unknown>>> = {
  'order:created': data(
    { order_id: aggregateId },
    {
      patient_id: nullable(id('pat_1', 'pat_2')),
      medication_request_id: nullable(id('mr_1', 'mr_2')),
      shipping_address: nullable(address),
    },
  ),
  'order:processing': data(
    { order_id: aggregateId },
    {
      patient_id: nullable(id('pat_1', 'pat_2')),
      medication_request_id: nullable(id('mr_1', 'mr_2')),
      tracking_number: fc.integer({ min: 0, max: 9 }),
    },
  ),
  'order:shipped': data(
    {
      order_id: aggregateId,
      patient_id: id('pat_1', 'pat_2'),
      medication_request_id: id('mr_1', 'mr_2'),
      tracking_number: id('TRK1', 'TRK2', 'TRK3'),
      carrier: id('UPS', 'FedEx'),
      estimated_delivery: id('2025-01-18', '2025-01-19'),
      shipping_address: address,
    },
    {},
  ),
  'order:delivered': data(
    { order_id: aggregateId },
    { patient_id: nullable(id('pat_1')), delivered_at: nullable(dateTime) },
  ),
  'order:cancelled': data(
    { order_id: aggregateId },
    { reason: nullable(text), cancelled_at: nullable(dateTime) },
  ),
  'medication_request:created': data(
    { medication_request_id: aggregateId },
    {
      patient_id: nullable(id('pat_1', 'pat_2')),
      practitioner_id: nullable(id('prac_1', 'prac_2')),
      medication_name: nullable(id('Drug A', 'Drug B')),
      quantity: nullable(count),
      refills: nullable(count),
    },
  ),
  'medication_request:approved': data(
    {
      medication_request_id: aggregateId,
      patient_id: id('pat_1', 'pat_2'),
      practitioner_id: id('prac_1', 'prac_2'),
      medication_name: id('Drug A', 'Drug B'),
      quantity: count,
      refills: count,
      approved_at: dateTime,
    },
    {},
  ),
  'medication_request:filled': data(
    { medication_request_id: aggregateId },
    { filled_at: nullable(dateTime), quantity: id('two'), reason: text },
  ),
  'medication_request:cancelled': data(
    { medication_request_id: aggregateId },
    { reason: nullable(text), cancelled_at: nullable(dateTime) },
  ),
  'refill:requested': data(
    { refill_id: aggregateId },
    {
      medication_request_id: nullable(id('mr_1', 'mr_2')),
      patient_id: nullable(id('pat_1', 'pat_2')),
      requested_at: nullable(dateTime),
    },
  ),
  'refill:approved': data(
    { refill_id: aggregateId },
    { approved_at: nullable(dateTime), reason: text, patient_id: nullable(id('pat_1')) },
  ),
  'refill:denied': data(
    { refill_id: aggregateId },
    { reason: nullable(text), denied_at: nullable(dateTime) },
  ),
};

function eventOf(type: EventType): fc.Arbitrary<NovaMedEvent> {
  return fc
    .record({
      event_id: fc.stringMatching(/^evt_[0-9a-f]{1,3}$/),
      timestamp,
      clinic_id: fc.constantFrom('clinic_1', 'clinic_2'),
      data: DATA[type],
      extra: extras(),
    })
    .map(
      ({ extra, data, ...envelope }) =>
        ({ event_type: type, ...envelope, data: { ...extra, ...data } }) as NovaMedEvent,
    );
}

const TYPES_OF: Record<AggregateKind, EventType[]> = {
  order: [
    'order:created',
    'order:processing',
    'order:shipped',
    'order:delivered',
    'order:cancelled',
  ],
  medication_request: [
    'medication_request:created',
    'medication_request:approved',
    'medication_request:filled',
    'medication_request:cancelled',
  ],
  refill: ['refill:requested', 'refill:approved', 'refill:denied'],
};

/**
 * Valid events with distinct event_ids, mostly of `aggregate`'s types (all of them), some of
 * another aggregate id and some of other aggregates: the set a property folds.
 */
export function eventsOf(aggregate: AggregateKind): fc.Arbitrary<NovaMedEvent[]> {
  const own = TYPES_OF[aggregate].map(eventOf);
  const others = (Object.keys(TYPES_OF) as AggregateKind[])
    .filter((kind) => kind !== aggregate)
    .flatMap((kind) => TYPES_OF[kind].map(eventOf));
  const any = fc.oneof(
    { weight: 6, arbitrary: fc.oneof(...own) },
    { weight: 1, arbitrary: fc.oneof(...others) },
  );
  return fc.uniqueArray(any, { selector: (e) => e.event_id, maxLength: 16 });
}
