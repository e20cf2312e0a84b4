import { describe, expect, it } from 'vitest';
import { guideSample, parseEnvelope } from '../src/index.js';

const shipped = () => JSON.parse(guideSample('orderShipped').toString('utf8'));

describe('parseEnvelope', () => {
  it('accepts both of the guide samples', () => {
    expect(parseEnvelope(shipped()).ok).toBe(true);
    expect(parseEnvelope(JSON.parse(guideSample('medicationRequestApproved').toString())).ok).toBe(
      true,
    );
  });

  it('keeps unknown top-level fields', () => {
    const body = { ...shipped(), delivery_attempt: 2 };
    const result = parseEnvelope(body);
    expect(result.ok && result.envelope).toMatchObject({ delivery_attempt: 2 });
  });

  it('accepts an event type NovaMed may add later', () => {
    expect(parseEnvelope({ ...shipped(), event_type: 'order:returned' }).ok).toBe(true);
  });

  it.each([
    ['event_type', undefined],
    ['event_type', 42],
    ['event_type', 'shipped'],
    ['event_type', ''],
    ['event_id', undefined],
    ['event_id', ''],
    ['event_id', 'x'.repeat(256)],
    ['timestamp', undefined],
    ['timestamp', '2025-01-15'],
    ['timestamp', '2025-01-15T10:30:00'],
    ['timestamp', '2025-02-30T10:30:00Z'],
    ['timestamp', 'yesterday'],
    ['clinic_id', undefined],
    ['clinic_id', 7],
    ['data', undefined],
    ['data', null],
    ['data', []],
    ['data', 'ord_12345'],
  ])('rejects %s = %j and names the field', (field, value) => {
    const body = shipped();
    if (value === undefined) delete body[field];
    else body[field] = value;
    const result = parseEnvelope(body);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.field).toBe(field);
      expect(result.reason).toContain(field);
    }
  });

  it.each([null, [], 'text', 12, true])('rejects a body that is not an object: %j', (body) => {
    const result = parseEnvelope(body);
    expect(result.ok).toBe(false);
  });

  it('never echoes a value in the reason', () => {
    const body = shipped();
    body.timestamp = 'pat_67890 Jane Roe';
    const result = parseEnvelope(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).not.toContain('Jane');
  });
});
