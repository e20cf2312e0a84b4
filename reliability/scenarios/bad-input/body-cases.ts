import {
  BODY_LIMIT,
  bytes,
  type Json,
  MAX_DEPTH,
  nestedArrays,
  nestedObjects,
  PATH,
  text,
} from './bad-input-case.js';
import type { CaseTable } from './case-table.js';

/** Cases 4. invalid JSON (400 INVALID_JSON, quarantined). */
export function addInvalidJson(t: CaseTable): void {
  const json = t.fresh().body;
  for (const cut of [
    3,
    7,
    10,
    50,
    Math.floor(json.length / 3),
    Math.floor(json.length / 2),
    json.length - 2,
    json.length - 1,
  ]) {
    t.rejected(
      'invalid JSON',
      `truncated at ${cut} of ${json.length}`,
      text(json.slice(0, cut)),
      'INVALID_JSON',
    );
  }
  const invalidJson: Array<[string, Buffer]> = [
    ['empty body', Buffer.alloc(0)],
    ['whitespace only', text(' \n\t ')],
    ['a lone brace', text('{')],
    ['a closing brace', text('}')],
    ['trailing comma', text(`${t.fresh().body.slice(0, -1)},}`)],
    ['single quotes', text(t.fresh().body.replaceAll('"', "'"))],
    ['NaN value', text(t.fresh().body.replace(/}$/, ',"n":NaN}'))],
    ['Infinity value', text(t.fresh().body.replace(/}$/, ',"n":Infinity}'))],
    ['a comment', text(`/* hi */${t.fresh().body}`)],
    ['unquoted keys', text(t.fresh().body.replace('"event_type"', 'event_type'))],
    ['trailing garbage', text(`${t.fresh().body}x`)],
    ['two objects', text(`${t.fresh().body}${t.fresh().body}`)],
    ['undefined', text('undefined')],
    [
      'raw U+0001 byte in a string',
      bytes(t.fresh().body.replace('"clinic_id":"', '"clinic_id":"\u0001'), []),
    ],
    [
      'raw U+0000 byte in a string',
      Buffer.from(t.fresh().body.replace('"clinic_id":"', '"clinic_id":"\0'), 'utf8'),
    ],
    ['raw newline in a string', text(t.fresh().body.replace('"clinic_id":"', '"clinic_id":"a\nb'))],
    ['invalid escape \\x41', text(t.fresh().body.replace('"clinic_id":"', '"clinic_id":"\\x41'))],
    [
      'invalid unicode escape',
      text(t.fresh().body.replace('"clinic_id":"', '"clinic_id":"\\uZZZZ')),
    ],
    // Bad UTF-8 outside any string is a syntax error first: no JSON token starts with those bytes.
    ['byte 0xff after the last string value', bytes(t.fresh().body.slice(0, -2), [0xff], '"}')],
    ['overlong UTF-8 NUL after the body', bytes(t.fresh().body, [0xc0, 0x80], '"}')],
    ['UTF-8 encoded surrogate after the body', bytes(t.fresh().body, [0xed, 0xa0, 0x80], '"}')],
    ['truncated UTF-8 sequence after the body', bytes(t.fresh().body, [0xe2, 0x82], '"}')],
    ['Latin-1 encoded é after the body', bytes(t.fresh().body, [0xe9], '"}')],
    ['UTF-16LE body', Buffer.from(`\ufeff${t.fresh().body}`, 'utf16le')],
    ['BOM prefix', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(t.fresh().body)])],
  ];
  for (const [name, body] of invalidJson) t.rejected('invalid JSON', name, body, 'INVALID_JSON');
}

/** Cases 5. invalid UTF-8 inside a string (400 INVALID_UTF8, quarantined). */
export function addInvalidUtf8(t: CaseTable): void {
  const invalidUtf8: Array<[string, Buffer]> = [
    ['invalid UTF-8 byte 0xff', t.inLastString([0xff])],
    ['overlong UTF-8 for "/"', bytes('{"event_type":"order:created","x":"', [0xc0, 0xaf], '"}')],
    ['overlong UTF-8 NUL', t.inLastString([0xc0, 0x80])],
    ['UTF-8 encoded lone surrogate', t.inLastString([0xed, 0xa0, 0x80])],
    ['truncated UTF-8 sequence', t.inLastString([0xe2, 0x82])],
    ['Latin-1 encoded é', t.inLastString([0xe9])],
  ];
  for (const [name, body] of invalidUtf8) t.rejected('invalid UTF-8', name, body, 'INVALID_UTF8');
}

/** Cases 6. deep nesting: at most 32 levels, the envelope counting 1. */
export function addDeepNesting(t: CaseTable): void {
  // data is level 2, so `deep` inside it holds MAX_DEPTH - 2 levels at the limit.
  for (const [shape, nest] of [
    ['arrays', nestedArrays],
    ['objects', nestedObjects],
  ] as const) {
    for (const [levels, outcome] of [
      [MAX_DEPTH - 2, 'stored'],
      [MAX_DEPTH - 1, 'NESTING_TOO_DEEP'],
      [10_000, 'NESTING_TOO_DEEP'],
    ] as const) {
      const m = t.mutated((o) => {
        o['data'] = { ...(o['data'] as Json), deep: 'DEEP' };
      });
      const body = text(m.body.toString('utf8').replace('"DEEP"', nest(levels)));
      const name = `data holds ${levels.toLocaleString('en-US')} nested ${shape} (${levels + 2} levels)`;
      t.withOutcome('deep nesting', name, body, m.eventId, outcome);
    }
  }
  t.rejected(
    'deep nesting',
    'the body is 10,000 nested arrays',
    text(nestedArrays(10_000)),
    'NESTING_TOO_DEEP',
  );
  t.rejected(
    'deep nesting',
    '10,000 unclosed brackets',
    text('['.repeat(10_000)),
    'NESTING_TOO_DEEP',
  );
  t.rejected(
    'deep nesting',
    '10,000 levels, one bracket short',
    text(`{"event_type":"order:created","data":${'['.repeat(10_000)}${']'.repeat(9_999)}}`),
    'NESTING_TOO_DEEP',
  );
  // The depth is refused before the key is looked at.
  t.rejected(
    'deep nesting',
    '__proto__ at depth 10,000',
    t.spliced(
      '"data":{',
      `"deep":${'{"a":'.repeat(10_000)}{"__proto__":{"x":1}}${'}'.repeat(10_000)},`,
    ),
    'NESTING_TOO_DEEP',
  );
  t.add({
    group: 'deep nesting',
    name: '100,000 levels (over the body limit)',
    request: { path: PATH, headers: t.jsonHeaders(), body: text(nestedArrays(100_000)) },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  });
}

/** Cases 7. prototype keys. */
export function addPrototypeKeys(t: CaseTable): void {
  const forbidden: Array<[string, Buffer]> = [
    ['__proto__ object at the top', t.spliced('{', '"__proto__":{"polluted":true},')],
    ['__proto__ null at the top', t.spliced('{', '"__proto__":null,')],
    ['__proto__ in data', t.spliced('"data":{', '"__proto__":{"polluted":true},')],
    [
      '__proto__ in a nested object of data',
      t.spliced('"data":{', '"x":{"y":{"__proto__":{"isAdmin":true}}},'),
    ],
    [
      '__proto__ inside an array in data',
      t.spliced('"data":{', '"items":[{"__proto__":{"a":1}}],'),
    ],
    [
      'escaped \\u005f\\u005fproto__ at the top',
      t.spliced('{', '"\\u005f\\u005fproto__":{"polluted":true},'),
    ],
    [
      'constructor.prototype at the top',
      t.spliced('{', '"constructor":{"prototype":{"polluted":true}},'),
    ],
    [
      'constructor.prototype in data',
      t.spliced('"data":{', '"constructor":{"prototype":{"polluted":true}},'),
    ],
    [
      'constructor.prototype null in data',
      t.spliced('"data":{', '"constructor":{"prototype":null},'),
    ],
  ];
  for (const [name, body] of forbidden)
    t.rejected('prototype keys', name, body, 'FORBIDDEN_JSON_KEY');
  for (const [name, insert, anchor] of [
    ['"constructor" string in data', '"constructor":"x",', '"data":{'],
    ['"prototype" object at the top', '"prototype":{"a":1},', '{'],
    ['"constructor" object without prototype', '"constructor":{"x":1},', '"data":{'],
    ['"__proto" and "proto" keys', '"__proto":1,"proto":2,', '"data":{'],
  ] as const) {
    const event = t.fresh();
    const at = event.body.indexOf(anchor) + anchor.length;
    t.accepted(
      'prototype keys',
      name,
      text(`${event.body.slice(0, at)}${insert}${event.body.slice(at)}`),
      event.eventId,
    );
  }
}

/** Cases 8. oversized bodies (413, not quarantined). */
export function addOversized(t: CaseTable): void {
  const oversized = (bytesWanted: number) => {
    const o = t.clone(t.fresh());
    o['pad'] = '';
    const base = JSON.stringify(o).length;
    o['pad'] = 'p'.repeat(bytesWanted - base);
    return text(JSON.stringify(o));
  };
  for (const size of [BODY_LIMIT + 1, 2 * BODY_LIMIT, 1024 * 1024]) {
    t.add({
      group: 'oversized',
      name: `${size} bytes with content-length`,
      request: { path: PATH, headers: t.jsonHeaders(), body: oversized(size) },
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
    t.add({
      group: 'oversized',
      name: `${size} bytes chunked, no content-length`,
      request: { path: PATH, headers: t.jsonHeaders(), body: oversized(size), chunked: true },
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
  }
  t.add({
    group: 'oversized',
    name: 'oversized invalid JSON, chunked in one huge chunk',
    request: {
      path: PATH,
      headers: t.jsonHeaders(),
      body: Buffer.alloc(BODY_LIMIT * 2, 0x7b),
      chunked: true,
      chunkBytes: BODY_LIMIT * 2,
    },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  });
  t.add({
    group: 'oversized',
    name: 'content-length over the limit, no body sent',
    request: {
      path: PATH,
      headers: [...t.jsonHeaders(), ['content-length', String(BODY_LIMIT + 1)]],
      body: Buffer.alloc(0),
      contentLength: false,
    },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  });
}
