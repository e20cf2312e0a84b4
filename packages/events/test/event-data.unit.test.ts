import { describe, expect, it } from 'vitest';
import {
  decodeEvent,
  EVENT_TYPES,
  guideSample,
  parseEnvelope,
  validateEvent,
} from '../src/index.js';

const envelopeOf = (body: object) => {
  const result = parseEnvelope(body);
  if (!result.ok) throw new Error(result.reason);
  return result.envelope;
};
const sample = (name: 'orderShipped' | 'medicationRequestApproved') =>
  JSON.parse(guideSample(name).toString('utf8'));

describe('validateEvent', () => {
  it('types the guide order:shipped sample field by field', () => {
    const result = validateEvent(envelopeOf(sample('orderShipped')));
    expect(result.ok).toBe(true);
    if (result.ok && result.event.event_type === 'order:shipped') {
      expect(result.event.data.tracking_number).toBe('1Z999AA10123456784');
      expect(result.event.data.shipping_address.zip).toBe('94102');
    } else {
      expect.fail('expected a typed order:shipped event');
    }
  });

  it('types the guide medication_request:approved sample', () => {
    const result = validateEvent(envelopeOf(sample('medicationRequestApproved')));
    expect(result.ok).toBe(true);
    if (result.ok && result.event.event_type === 'medication_request:approved') {
      expect(result.event.data.refills).toBe(3);
    }
  });

  it.each(['tracking_number', 'carrier', 'estimated_delivery', 'shipping_address', 'order_id'])(
    'requires %s on order:shipped (the guide gives it)',
    (field) => {
      const body = sample('orderShipped');
      delete body.data[field];
      const result = validateEvent(envelopeOf(body));
      expect(result).toMatchObject({ ok: false, reason: 'INVALID_DATA' });
    },
  );

  it.each(['medication_name', 'quantity', 'refills', 'approved_at'])(
    'requires %s on medication_request:approved',
    (field) => {
      const body = sample('medicationRequestApproved');
      delete body.data[field];
      expect(validateEvent(envelopeOf(body))).toMatchObject({ ok: false, reason: 'INVALID_DATA' });
    },
  );

  it('rejects a wrong type without echoing the value', () => {
    const body = sample('medicationRequestApproved');
    body.data.quantity = 'Testosterone Cypionate';
    const result = validateEvent(envelopeOf(body));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.join(' ')).toContain('data.quantity');
      expect(result.errors.join(' ')).not.toContain('Testosterone');
    }
  });

  it('keeps unknown data fields', () => {
    const body = sample('orderShipped');
    body.data.signature_required = true;
    const result = validateEvent(envelopeOf(body));
    expect(result.ok && result.event.data).toMatchObject({ signature_required: true });
  });

  const minimal: Record<string, Record<string, unknown>> = {
    order: { order_id: 'ord_1' },
    medication_request: { medication_request_id: 'mr_1' },
    refill: { refill_id: 'rf_1' },
  };

  it.each(EVENT_TYPES.filter((t) => t !== 'order:shipped' && t !== 'medication_request:approved'))(
    '%s needs only its aggregate id',
    (type) => {
      const data = minimal[type.split(':')[0] as string];
      const body = { ...sample('orderShipped'), event_type: type, data };
      expect(validateEvent(envelopeOf(body)).ok).toBe(true);
      expect(validateEvent(envelopeOf({ ...body, data: {} })).ok).toBe(false);
    },
  );

  it('reports an unknown type as such, not as invalid', () => {
    const body = { ...sample('orderShipped'), event_type: 'order:returned' };
    expect(validateEvent(envelopeOf(body))).toMatchObject({
      ok: false,
      reason: 'UNKNOWN_EVENT_TYPE',
    });
  });
});

describe('decodeEvent', () => {
  it('decodes the raw guide bytes', () => {
    const result = decodeEvent(guideSample('orderShipped'));
    expect(result.ok && result.event.event_id).toBe('evt_abc123xyz');
  });

  it.each([
    [Buffer.from('{"event_type":'), 'INVALID_JSON'],
    [null, 'INVALID_JSON'],
    [Buffer.from('[]'), 'INVALID_ENVELOPE'],
  ])('classifies a bad value', (value, reason) => {
    expect(decodeEvent(value)).toMatchObject({ ok: false, reason });
  });
});
