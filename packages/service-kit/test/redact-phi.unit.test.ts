import { Writable } from 'node:stream';
import { PHI_FIELDS } from '@novamed-stream/events';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACT_MAX_DEPTH, redactPhi } from '../src/index.js';

function captured() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, logger: createLogger({ service: 'test', destination }) };
}

/** `{ a: { a: ... { [field]: value } } }` with `depth` levels above the field. */
function nested(depth: number, field: string, value: string): object {
  let object: object = { [field]: value };
  for (let i = 0; i < depth; i++) object = { a: object };
  return object;
}

describe('the kit logger', () => {
  it('redacts every PHI field down to the deepest level the services needed (8)', () => {
    const { lines, logger } = captured();
    for (const field of PHI_FIELDS) logger.info(nested(REDACT_MAX_DEPTH, field, `canary-${field}`));
    expect(lines).toHaveLength(PHI_FIELDS.length);
    expect(lines.join()).not.toContain('canary');
  });

  it('redacts in arrays, in child bindings and secret headers', () => {
    const { lines, logger } = captured();
    logger
      .child({ patient_name: 'canary-binding' })
      .info({ list: [{ patient_id: 'canary-list' }], headers: { 'x-api-key': 'canary-key' } });
    expect(lines.join()).not.toContain('canary');
    expect(lines.join()).toContain('[REDACTED]');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ service: 'test' });
  });

  it("redacts a service's extra paths too, and still the kit's", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = createLogger({
      service: 'test',
      destination,
      extraRedactPaths: ['req.headers["x-console-key"]', 'res.headers["set-cookie"]'],
    });
    logger.info({
      req: { headers: { 'x-console-key': 'canary-key', cookie: 'canary-cookie' } },
      res: { headers: { 'set-cookie': 'canary-set-cookie' } },
    });
    expect(lines.join()).not.toContain('canary');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      req: { headers: { 'x-console-key': '[REDACTED]', cookie: '[REDACTED]' } },
      res: { headers: { 'set-cookie': '[REDACTED]' } },
    });
  });

  it('leaves other fields and the input object alone', () => {
    const input = { order_id: 'ord_1', data: { patient_id: 'p' } };
    expect(redactPhi(input)).toEqual({ order_id: 'ord_1', data: { patient_id: '[REDACTED]' } });
    expect(input.data.patient_id).toBe('p');
    const clean = { order_id: 'ord_1' };
    expect(redactPhi(clean)).toBe(clean);
  });
});
