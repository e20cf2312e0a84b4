import { describe, expect, it } from 'vitest';
import { isJsonContentType, parseJsonBody } from '../src/json-body.js';

describe('parseJsonBody', () => {
  it('parses JSON', () => {
    expect(parseJsonBody(Buffer.from('{"a":[1,2]}'))).toEqual({ ok: true, value: { a: [1, 2] } });
  });

  it('refuses invalid JSON without quoting the input', () => {
    const secret = 'Jane Canary-Doe';
    const result = parseJsonBody(Buffer.from(`{"patient_name": "${secret}", oops}`));
    expect(result).toEqual({ ok: false, code: 'INVALID_JSON', detail: '' });
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it('refuses an empty body and bytes that are not UTF-8', () => {
    expect(parseJsonBody(Buffer.alloc(0))).toMatchObject({ ok: false, code: 'INVALID_JSON' });
    expect(parseJsonBody(Buffer.from([0x7b, 0xff, 0x7d]))).toMatchObject({
      ok: false,
      code: 'INVALID_JSON',
      detail: '(not UTF-8)',
    });
  });

  it('refuses a leading byte order mark (consumers decode with JSON.parse, which refuses it)', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]);
    expect(() => JSON.parse(withBom.toString('utf8'))).toThrow();
    expect(parseJsonBody(withBom)).toEqual({
      ok: false,
      code: 'INVALID_JSON',
      detail: '(byte order mark)',
    });
  });

  it.each([
    '{"__proto__": {"admin": true}}',
    '{"data": {"nested": {"__proto__": {"x": 1}}}}',
    '{"\\u005f_proto__": {}}',
    '{"constructor": {"prototype": {"x": 1}}}',
  ])('refuses prototype poisoning: %s', (text) => {
    expect(parseJsonBody(Buffer.from(text))).toEqual({ ok: false, code: 'FORBIDDEN_JSON_KEY' });
  });

  it('accepts a harmless "constructor" field', () => {
    expect(parseJsonBody(Buffer.from('{"constructor": "x"}')).ok).toBe(true);
  });
});

describe('isJsonContentType', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;charset="UTF-8"',
    'application/cloudevents+json',
    'application/vnd.novamed.v1+json; charset=utf8',
  ])('accepts %s', (type) => {
    expect(isJsonContentType(type)).toBe(true);
  });

  it.each([
    'text/plain',
    'application/jsonp',
    'application/json; charset=latin1',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    '',
  ])('refuses %s', (type) => {
    expect(isJsonContentType(type)).toBe(false);
  });
});
