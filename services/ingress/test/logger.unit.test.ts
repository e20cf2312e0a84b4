import { Writable } from 'node:stream';
import { redactPhi } from '@novamed-stream/service-kit';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

function captured() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('createLogger', () => {
  it('redacts the API key and authorization headers of a logged request', () => {
    const { lines, logger } = captured();
    logger.info({
      req: { headers: { 'x-api-key': 'canary-key-123456', authorization: 'Bearer canary-token' } },
    });
    expect(lines.join()).not.toMatch(/canary/);
    expect(lines.join()).toContain('[REDACTED]');
  });

  it('redacts PHI field names at any depth, in objects and arrays', () => {
    const { lines, logger } = captured();
    logger.info({
      patient_id: 'canary-p0',
      data: {
        patient_id: 'canary-p1',
        medication_name: 'canary-med',
        shipping_address: { line1: 'canary street' },
        nested: { deeper: { patient_name: 'canary name', email: 'canary@x' } },
        list: [{ a: { b: { c: { d: { patient_id: 'canary-deep' } } } } }],
      },
      order_id: 'ord_1',
    });
    const output = lines.join();
    expect(output).not.toMatch(/canary/);
    expect(output).toContain('ord_1');
  });
});

describe('redactPhi', () => {
  it('returns the same object when there is nothing to redact, and never mutates', () => {
    const clean = { a: 1, b: { c: [1, 2] } };
    expect(redactPhi(clean)).toBe(clean);
    const dirty = { data: { patient_id: 'p' }, keep: 1 };
    const result = redactPhi(dirty);
    expect(result).toEqual({ data: { patient_id: '[REDACTED]' }, keep: 1 });
    expect(dirty.data.patient_id).toBe('p');
  });

  it('leaves class instances (errors) to their serializers', () => {
    const error = Object.assign(new Error('x'), { patient_id: 'p' });
    expect(redactPhi({ err: error }).err).toBe(error);
  });
});
