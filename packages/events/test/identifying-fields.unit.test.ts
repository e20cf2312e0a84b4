import { describe, expect, it } from 'vitest';
import { fieldWithControlCharacter } from '../src/identifying-fields.js';

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
