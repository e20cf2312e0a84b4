import { describe, expect, it } from 'vitest';
import {
  fieldTooLong,
  fieldWithControlCharacter,
  IDENTIFIER_MAX_BYTES,
} from '../src/identifying-fields.js';

const envelope = {
  event_type: 'order:created',
  event_id: 'evt_1',
  clinic_id: 'clinic_1',
  data: { order_id: 'ord_1', medication_request_id: 'med_1', refill_id: 'ref_1', note: 'a\tb' },
};

describe('fieldWithControlCharacter', () => {
  it('accepts plain identifiers, and control characters in other fields', () => {
    expect(fieldWithControlCharacter(envelope)).toBeUndefined();
    expect(fieldWithControlCharacter({ ...envelope, event_id: 'évt 😀 ~' })).toBeUndefined();
  });

  it.each([
    ['event_id', { ...envelope, event_id: 'evt\u0000' }],
    ['event_type', { ...envelope, event_type: 'order:created\n' }],
    ['clinic_id', { ...envelope, clinic_id: '\u001fclinic' }],
    ['clinic_id', { ...envelope, clinic_id: 'clinic\u007f' }],
    ['data.order_id', { ...envelope, data: { ...envelope.data, order_id: 'ord\r1' } }],
    [
      'data.medication_request_id',
      { ...envelope, data: { ...envelope.data, medication_request_id: '\u0001' } },
    ],
    ['data.refill_id', { ...envelope, data: { ...envelope.data, refill_id: 'r\u001b[31m' } }],
  ])('names %s when it holds a control character', (field, value) => {
    expect(fieldWithControlCharacter(value)).toBe(field);
  });

  it('ignores data ids that are not strings (the routing key falls back past them)', () => {
    expect(fieldWithControlCharacter({ ...envelope, data: { order_id: 12 } })).toBeUndefined();
  });

  it('accepts characters just outside the ranges (space, U+0080)', () => {
    expect(fieldWithControlCharacter({ ...envelope, event_id: 'a b\u0080' })).toBeUndefined();
  });
});

describe('fieldTooLong', () => {
  const base = {
    event_id: 'evt_1',
    event_type: 'order:created',
    clinic_id: 'c',
    data: { order_id: 'ord_1' } as Record<string, unknown>,
  };

  it('accepts ids of exactly the limit in bytes of UTF-8', () => {
    expect(fieldTooLong({ ...base, event_id: 'é'.repeat(IDENTIFIER_MAX_BYTES / 2) })).toBe(
      undefined,
    );
  });

  it.each([
    ['event_id', { event_id: 'e'.repeat(IDENTIFIER_MAX_BYTES + 1) }],
    ['clinic_id', { clinic_id: `${'é'.repeat(IDENTIFIER_MAX_BYTES / 2)}x` }],
    ['data.order_id', { data: { order_id: 'o'.repeat(256 * 1024) } }],
    ['data.refill_id', { data: { order_id: 'ord_1', refill_id: '€'.repeat(86) } }],
  ])('names %s when it is longer', (field, override) => {
    expect(fieldTooLong({ ...base, ...override })).toBe(field);
  });

  it('leaves a long non-identifying data field alone', () => {
    expect(fieldTooLong({ ...base, data: { order_id: 'ord_1', note: 'n'.repeat(100_000) } })).toBe(
      undefined,
    );
  });
});
