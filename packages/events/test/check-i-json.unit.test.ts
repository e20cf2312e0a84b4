import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkIJson,
  I_JSON_MAX_DEPTH,
  I_JSON_MAX_NAME_BYTES,
  I_JSON_MAX_NUMBER_LENGTH,
  type IJsonResult,
} from '../src/check-i-json.js';
import { guideSample } from '../src/guide-samples.js';

const check = (text: string | Buffer, maxDepth?: number): IJsonResult =>
  checkIJson(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, { maxDepth });

const refused = (rule: string, position: number, path: string) => ({
  ok: false,
  rule,
  position,
  path,
});

function nested(levels: number, open = '[', close = ']', inner = '0'): string {
  return open.repeat(levels) + inner + close.repeat(levels);
}

describe('checkIJson: syntax', () => {
  it.each([
    '{}',
    '[]',
    '0',
    '-0',
    '"x"',
    'true',
    'false',
    'null',
    ' \t\r\n{ "a" : [ 1 , 2.5e-3 , -1E+2 , "\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9" ] } \n',
  ])('accepts %s', (text) => {
    expect(check(text)).toEqual({ ok: true });
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it.each([
    ['', 0],
    ['{', 1],
    ['{"a"}', 4],
    ['{"a":1,}', 7],
    ['[1,]', 3],
    ['[1 2]', 3],
    ['01', 1],
    ['1.', 2],
    ['1e', 2],
    ['-', 1],
    ['+1', 0],
    ['.5', 0],
    ['tru', 3],
    ['nul', 3],
    ['"abc', 4],
    ['"a\tb"', 2],
    ['"\\x"', 1],
    ['"\\u12G4"', 1],
    ["{'a':1}", 1],
    ['{"a":1} x', 8],
    ['1 2', 2],
    ['\u00a0 1', 0],
    ['\ufeff{}', 0],
  ])('refuses %j as INVALID_JSON at byte %i', (text, position) => {
    expect(check(text)).toMatchObject({ ok: false, rule: 'INVALID_JSON', position });
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe('checkIJson: duplicate member names', () => {
  it('refuses the same name twice in one object, at the second one', () => {
    const text = '{"event_type":"refill:denied","event_type":"order:created"}';
    expect(check(text)).toEqual(refused('DUPLICATE_MEMBER', 30, '$.event_type'));
  });

  it('refuses them at any depth, with the path', () => {
    const text = '{"data":{"items":[{"a":1},{"b":1,"b":2}]}}';
    expect(check(text)).toEqual(refused('DUPLICATE_MEMBER', 33, '$.data.items[1].b'));
  });

  it('compares decoded names: "a" and "\\u0061" are the same name', () => {
    expect(check('{"a":1,"\\u0061":2}')).toMatchObject({ rule: 'DUPLICATE_MEMBER', position: 7 });
    expect(check('{"\\u00e9":1,"é":2}')).toMatchObject({ rule: 'DUPLICATE_MEMBER' });
    expect(check('{"\\ud83d\\ude00":1,"😀":2}')).toMatchObject({ rule: 'DUPLICATE_MEMBER' });
    expect(check('{"\\/":1,"/":2}')).toMatchObject({ rule: 'DUPLICATE_MEMBER' });
  });

  it('finds them in large objects too', () => {
    const members = Array.from({ length: 500 }, (_, i) => `"k${i}":${i}`);
    expect(check(`{${members.join(',')}}`)).toEqual({ ok: true });
    expect(check(`{${members.join(',')},"k17":0}`)).toMatchObject({
      rule: 'DUPLICATE_MEMBER',
      path: '$.k17',
    });
  });

  it('allows the same name in sibling and nested objects, and names that differ by case', () => {
    expect(check('{"a":{"a":1},"b":[{"a":1},{"a":2}],"A":0,"ab":1,"ba":2}')).toEqual({ ok: true });
  });

  it('shows a name that does not look like a field name by its ordinal, never its text', () => {
    const result = check('{"x":1,"Jane Doe":1,"Jane Doe":2}');
    expect(result).toEqual(refused('DUPLICATE_MEMBER', 20, '$.<member 3>'));
  });
});

describe('checkIJson: nesting', () => {
  it(`accepts ${I_JSON_MAX_DEPTH} levels and refuses ${I_JSON_MAX_DEPTH + 1}`, () => {
    expect(check(nested(I_JSON_MAX_DEPTH))).toEqual({ ok: true });
    expect(check(nested(I_JSON_MAX_DEPTH + 1))).toMatchObject({
      rule: 'NESTING_TOO_DEEP',
      position: I_JSON_MAX_DEPTH,
    });
    expect(check(nested(I_JSON_MAX_DEPTH + 1, '{"a":', '}'))).toMatchObject({
      rule: 'NESTING_TOO_DEEP',
    });
  });

  it('counts objects and arrays alike, and the path shows where', () => {
    const text = '{"data":{"list":[[[{"x":[0]}]]]}}';
    expect(check(text, 7)).toEqual({ ok: true });
    expect(check(text, 6)).toEqual(refused('NESTING_TOO_DEEP', 24, '$.data.list[0][0][0].x'));
  });

  it('refuses 1,000,000 levels without exhausting the stack', () => {
    for (const [open, close] of [
      ['[', ']'],
      ['{"a":', '}'],
    ] as const) {
      const text = Buffer.from(nested(1_000_000, open, close));
      expect(() => check(text)).not.toThrow();
      expect(check(text)).toMatchObject({ ok: false, rule: 'NESTING_TOO_DEEP' });
    }
  });

  it('refuses 100,000 levels inside data (the body that crashed the projector)', () => {
    const text = `{"event_type":"order:created","data":{"x":${nested(100_000)}}}`;
    const result = check(text);
    expect(result).toMatchObject({ rule: 'NESTING_TOO_DEEP', position: 42 + I_JSON_MAX_DEPTH - 2 });
    expect(!result.ok && result.path).toBe(`$.data.x${'[0]'.repeat(I_JSON_MAX_DEPTH - 2)}`);
  });
});

describe('checkIJson: UTF-8', () => {
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  it('accepts well-formed UTF-8 of every length', () => {
    expect(check('{"name":"é€😀한"}')).toEqual({ ok: true });
    expect(check(bytes('"', [0xf4, 0x8f, 0xbf, 0xbf], '"'))).toEqual({ ok: true });
  });

  it.each([
    ['a stray continuation byte', [0x80]],
    ['an overlong 2-byte form', [0xc0, 0xaf]],
    ['an overlong 3-byte form', [0xe0, 0x80, 0xaf]],
    ['an overlong 4-byte form', [0xf0, 0x80, 0x80, 0xaf]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['an encoded surrogate (CESU-8)', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['an invalid lead byte', [0xff]],
  ])('refuses %s, at its first byte', (_name, seq) => {
    const body = bytes('{"a":"ok', seq, '"}');
    expect(check(body)).toEqual(refused('INVALID_UTF8', 8, '$.a'));
    // Node would have stored it as U+FFFD:
    expect(body.toString('utf8')).toContain('\ufffd');
  });

  it('refuses invalid UTF-8 in a member name too', () => {
    expect(check(bytes('{"a', [0xc3], '":1}'))).toMatchObject({
      rule: 'INVALID_UTF8',
      position: 3,
    });
  });
});

describe('checkIJson: surrogates', () => {
  it('accepts an escaped surrogate pair', () => {
    expect(check('"\\ud83d\\ude00"')).toEqual({ ok: true });
    expect(check('"\\uD83D\\uDE00"')).toEqual({ ok: true });
  });

  it.each([
    ['a lone high surrogate', '{"event_id":"\\ud800"}', 13],
    ['a high surrogate at the end', '{"event_id":"x\\udbff"}', 14],
    ['a lone low surrogate', '{"event_id":"\\udc00"}', 13],
    ['two high surrogates', '{"event_id":"\\ud800\\ud800"}', 13],
    ['a high surrogate before a plain character', '{"event_id":"\\ud800x"}', 13],
    ['a low surrogate before a high one', '{"event_id":"\\udc00\\ud800"}', 13],
  ])('refuses %s, at its escape', (_name, text, position) => {
    expect(check(text)).toEqual(refused('LONE_SURROGATE', position, '$.event_id'));
  });

  it('refuses a lone surrogate in a member name', () => {
    expect(check('{"\\ud800":1}')).toMatchObject({ rule: 'LONE_SURROGATE', position: 2 });
  });

  it('calls a broken escape after a high surrogate a syntax error', () => {
    expect(check('"\\ud800\\u12"')).toMatchObject({ rule: 'INVALID_JSON', position: 7 });
  });
});

describe('checkIJson: numbers', () => {
  it.each([
    '9007199254740991',
    '-9007199254740991',
    '1000000000000000',
    '0.1',
    '3.141592653589793238462643383279',
    '1e308',
    '1.7976931348623157e308',
    '-1.7976931348623157E+308',
    '5e-324',
    '0e999999',
    '0.0000e-999',
    '9007199254740993.0',
    '1e20',
  ])('accepts %s', (text) => {
    expect(check(`[${text}]`)).toEqual({ ok: true });
  });

  it.each([
    ['an integer of 2^53', '9007199254740992'],
    ['an integer below -(2^53 - 1)', '-9007199254740992'],
    ['a long integer', '123456789012345678901234567890'],
    ['an overflow', '1e400'],
    ['a negative overflow', '-1.8e308'],
    ['a non-zero number that rounds to 0', '1e-400'],
    ['a long exponent', '2e99999999999999999999'],
    ['a literal one character over the limit', `0.${'1'.repeat(I_JSON_MAX_NUMBER_LENGTH - 1)}`],
    ['a fraction of 1,001 digits (Jackson refuses it)', `0.${'3'.repeat(1001)}`],
  ])('refuses %s', (_name, text) => {
    expect(check(`{"data":{"n":${text}}}`)).toEqual(refused('NUMBER_OUT_OF_RANGE', 13, '$.data.n'));
  });
});

describe('checkIJson: lengths Jackson refuses', () => {
  it('accepts a number literal of exactly the limit', () => {
    expect(check(`[0.${'1'.repeat(I_JSON_MAX_NUMBER_LENGTH - 2)}]`)).toEqual({ ok: true });
  });

  it('accepts a member name of exactly the limit, in bytes of UTF-8', () => {
    const name = 'é'.repeat(I_JSON_MAX_NAME_BYTES / 2);
    expect(check(`{"data":{"${name}":1}}`)).toEqual({ ok: true });
  });

  it('refuses a member name one byte over the limit, at its opening quote', () => {
    const name = `${'é'.repeat(I_JSON_MAX_NAME_BYTES / 2)}x`;
    expect(check(`{"data":{"${name}":1}}`)).toEqual(
      refused('MEMBER_NAME_TOO_LONG', 9, '$.data.<member 1>'),
    );
  });

  it('refuses a 60,000-character name (over Jackson default of 50,000)', () => {
    const result = check(`{"${'k'.repeat(60_000)}":1}`);
    expect(result.ok ? undefined : result.rule).toBe('MEMBER_NAME_TOO_LONG');
  });
});

describe('checkIJson: the guide samples', () => {
  it('accepts both', () => {
    expect(checkIJson(guideSample('orderShipped'))).toEqual({ ok: true });
    expect(checkIJson(guideSample('medicationRequestApproved'))).toEqual({ ok: true });
  });
});

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Integers beyond 2^53 are outside the profile; clamp them to the largest safe one. */
function clampIntegers(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return 0; // JSON.stringify writes -0 as 0
    return Number.isInteger(value) && Math.abs(value) > MAX_SAFE
      ? Math.sign(value) * MAX_SAFE
      : value;
  }
  if (Array.isArray(value)) return value.map(clampIntegers);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clampIntegers(v)]));
  }
  return value;
}

function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object') {
    return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  }
  return 0;
}

describe('checkIJson: properties', () => {
  it('accepts any JSON value within the depth limit, which then parses to the same value', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: I_JSON_MAX_DEPTH }),
          fc.jsonValue({ maxDepth: I_JSON_MAX_DEPTH, stringUnit: 'grapheme' }),
          fc.jsonValue({ maxDepth: 6, depthSize: 'large', stringUnit: 'grapheme-composite' }),
        ),
        fc.boolean(),
        (generated, pretty) => {
          const value = clampIntegers(generated);
          const text = JSON.stringify(value, null, pretty ? 2 : undefined);
          fc.pre(depthOf(value) <= I_JSON_MAX_DEPTH);
          expect(check(text)).toEqual({ ok: true });
          expect(JSON.parse(text)).toEqual(value);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('accepts what fc.json() writes when its integers are safe', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 8 }), (text) => {
        const value = JSON.parse(text);
        fc.pre(JSON.stringify(clampIntegers(value)) === JSON.stringify(value));
        expect(check(text)).toEqual({ ok: true });
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with JSON.parse on syntax for mangled JSON texts', () => {
    const mangled = fc
      .tuple(
        fc.json({ maxDepth: 4 }),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.nat(3),
            fc.constantFrom(...'{}[]":,.-+eE0159tfnul\\ \t\n\u00e9x'.split('')),
          ),
          { maxLength: 4 },
        ),
      )
      .map(([text, edits]) => {
        let out = text;
        for (const [at, op, char] of edits) {
          const i = out.length === 0 ? 0 : at % (out.length + 1);
          if (op === 0) out = out.slice(0, i) + out.slice(i + 1);
          else out = out.slice(0, i) + char + out.slice(op === 1 ? i : i + 1);
        }
        return out;
      });
    fc.assert(
      fc.property(mangled, (text) => {
        const result = check(text);
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        // Another rule may stop the check before a later syntax error, so only these hold:
        if (result.ok) expect(parses).toBe(true);
        if (!result.ok && result.rule === 'INVALID_JSON') expect(parses).toBe(false);
        if (parses) expect(result.ok || result.rule !== 'INVALID_JSON').toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const result = checkIJson(bytes);
        if (result.ok) expect(() => JSON.parse(Buffer.from(bytes).toString('utf8'))).not.toThrow();
      }),
      { numRuns: 5000 },
    );
  });
});
