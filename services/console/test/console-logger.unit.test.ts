import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

describe('the console logger', () => {
  it("redacts the console key header, the session cookies and PHI-named fields (the kit's)", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    createLogger({ destination }).info({
      req: { headers: { 'x-console-key': 'canary-key', cookie: 'canary-cookie' } },
      res: { headers: { 'set-cookie': 'canary-session' } },
      row: { patient_id: 'canary-patient' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('canary');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      service: 'console',
      req: { headers: { 'x-console-key': '[REDACTED]', cookie: '[REDACTED]' } },
      res: { headers: { 'set-cookie': '[REDACTED]' } },
      row: { patient_id: '[REDACTED]' },
    });
  });
});
