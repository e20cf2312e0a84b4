import { describe, expect, it } from 'vitest';
import { isJsonContentType, parseJsonBody } from '../src/json-body.js';

describe('parseJsonBody', () => {
  it('parses JSON', () => {
    expect(parseJsonBody(Buffer.from('{"a":[1,2]}'))).toEqual({ ok: true, value: { a: [1, 2] } });
  });

  it('refuses invalid JSON without quoting the input', () => {
    const secret = 'Jane Canary-Doe';
    const result = parseJsonBody(Buffer.from(`{"patient_name": "${secret}", oops}`));
    expect(result).toEqual({
      ok: false,
      code: 'INVALID_JSON',
      detail: '(at $.patient_name, byte 36)',
    });
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it('refuses an empty body and bytes that are not UTF-8', () => {
    expect(parseJsonBody(Buffer.alloc(0))).toMatchObject({ ok: false, code: 'INVALID_JSON' });
    expect(parseJsonBody(Buffer.from([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      code: 'INVALID_JSON',
      detail: '(at byte 1)',
    });
    const latin1 = Buffer.concat([
      Buffer.from('{"city":"Z'),
      Buffer.from([0xfc]),
      Buffer.from('rich"}'),
    ]);
    expect(parseJsonBody(latin1)).toEqual({
      ok: false,
      code: 'INVALID_UTF8',
      detail: '(at $.city, byte 10)',
    });
  });

  // Each of these JSON.parse accepts, and reads differently from Java, Python or Go.
  const deep = `{"data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  it.each([
    [
      'a repeated name',
      '{"event_type":"a:b","data":{},"event_type":"c:d"}',
      'DUPLICATE_MEMBER',
      '(at $.event_type, byte 30)',
    ],
    [
      'a name repeated by an escape',
      '{"data":{"a":1,"\\u0061":2}}',
      'DUPLICATE_MEMBER',
      '(at $.data.a, byte 15)',
    ],
    ['a lone surrogate', '{"event_id":"\\ud800"}', 'LONE_SURROGATE', '(at $.event_id, byte 13)'],
    ['an overflow', '{"n":1e400}', 'NUMBER_OUT_OF_RANGE', '(at $.n, byte 5)'],
    ['an integer beyond 2^53', '{"n":9007199254740993}', 'NUMBER_OUT_OF_RANGE', '(at $.n, byte 5)'],
    ['100,000 levels', deep, 'NESTING_TOO_DEEP', `(at $.data${'[0]'.repeat(31)}, byte 39)`],
  ])('refuses %s', (_name, text, code, detail) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(parseJsonBody(Buffer.from(text))).toEqual({ ok: false, code, detail });
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
    expect(parseJsonBody(Buffer.from(text))).toEqual({
      ok: false,
      code: 'FORBIDDEN_JSON_KEY',
      detail: '',
    });
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
