import type { RawRequest } from '../../harness/hostile-http.js';
import { BODY_LIMIT, PATH, text } from './bad-input-case.js';
import type { CaseTable } from './case-table.js';

/**
 * Cases 1. controls: valid events, interleaved with everything else (200, on the topic).
 * Over 80 lines because it is one straight list of cases, read top to bottom like a table.
 */
export function addControls(t: CaseTable): void {
  for (let i = 0; i < 8; i++) {
    const event = t.fresh();
    t.accepted('control', `valid event ${i}`, text(event.body), event.eventId);
  }
  for (const contentType of [
    'application/json; charset=utf-8',
    'application/json;charset=UTF8',
    'Application/JSON',
    'application/vnd.novamed+json',
    'application/json ; charset="utf-8"',
  ]) {
    const event = t.fresh();
    t.add({
      group: 'control',
      name: `content type ${contentType}`,
      request: {
        path: PATH,
        headers: [
          ['content-type', contentType],
          ['x-api-key', t.key],
        ],
        body: text(event.body),
      },
      status: 200,
      code: undefined,
      acceptedEventId: event.eventId,
    });
  }
  {
    const event = t.fresh();
    t.add({
      group: 'control',
      name: 'header names in odd case',
      request: {
        path: PATH,
        headers: [
          ['CONTENT-Type', 'application/json'],
          ['X-Api-KEY', t.key],
        ],
        body: text(event.body),
      },
      status: 200,
      code: undefined,
      acceptedEventId: event.eventId,
    });
  }
  {
    const event = t.fresh();
    t.add({
      group: 'control',
      name: 'query string',
      request: {
        path: `${PATH}?source=test&x=1`,
        headers: t.jsonHeaders(),
        body: text(event.body),
      },
      status: 200,
      code: undefined,
      acceptedEventId: event.eventId,
    });
  }
  {
    const event = t.fresh();
    t.accepted('control', 'chunked valid body', text(event.body), event.eventId, {
      chunked: true,
      chunkBytes: 7,
    });
  }
  {
    // Exactly at the limit: accepted.
    const event = t.fresh();
    const o = t.clone(event);
    o['pad'] = '';
    const base = JSON.stringify(o).length;
    o['pad'] = 'p'.repeat(BODY_LIMIT - base);
    const body = text(JSON.stringify(o));
    if (body.length !== BODY_LIMIT) throw new Error(`padded to ${body.length}, not the limit`);
    t.accepted('control', 'body exactly at the limit', body, event.eventId);
  }
}

// --- 2. API keys: never bypassed, never quarantined (401) ---------------------------------
/** Wrong ways to present the key: name, headers, path. */
export function wrongKeys(key: string): Array<[string, Array<[string, string | Buffer]>, string]> {
  return [
    ['no key', [], PATH],
    ['empty key', [['x-api-key', '']], PATH],
    [
      'wrong key, same length',
      [['x-api-key', `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`]],
      PATH,
    ],
    ['key minus its last character', [['x-api-key', key.slice(0, -1)]], PATH],
    ['key plus one character', [['x-api-key', `${key}x`]], PATH],
    ['key in upper case', [['x-api-key', key.toUpperCase()]], PATH],
    ['key of 4000 characters', [['x-api-key', `${key}${'k'.repeat(4000)}`]], PATH],
    ['key as Bearer', [['x-api-key', `Bearer ${key}`]], PATH],
    ['key in Authorization', [['authorization', `Bearer ${key}`]], PATH],
    ['key in the query string', [], `${PATH}?x-api-key=${encodeURIComponent(key)}`],
    [
      'key sent twice',
      [
        ['x-api-key', key],
        ['x-api-key', key],
      ],
      PATH,
    ],
    [
      'wrong key then right key',
      [
        ['x-api-key', 'not-the-key-000000000'],
        ['x-api-key', key],
      ],
      PATH,
    ],
    [
      'key with a Latin-1 byte',
      [['x-api-key', Buffer.concat([text(key.slice(0, -1)), Buffer.from([0xe9])])]],
      PATH,
    ],
    ['key header with another name', [['x-api-keys', key]], PATH],
  ];
}

/** Cases 2. API keys: never bypassed, never quarantined (401). */
export function addApiKeys(t: CaseTable): void {
  let unauthSerial = 0;
  for (const [keyName, keyHeaders, path] of wrongKeys(t.key)) {
    const tag = () => `unauth-${unauthSerial++}`;
    const bodies: Array<[string, Buffer, Array<[string, string]>]> = [
      ['valid event', text(t.fresh().body), [['content-type', 'application/json']]],
      ['invalid JSON', text(`{"event_type": "${tag()}"`), [['content-type', 'application/json']]],
      [
        'forbidden key',
        text(`{"__proto__":{"x":1},"tag":"${tag()}"}`),
        [['content-type', 'application/json']],
      ],
      ['invalid envelope', text(`{"tag":"${tag()}"}`), [['content-type', 'application/json']]],
      ['text/plain body', text(t.fresh().body), [['content-type', 'text/plain']]],
      [
        'oversized body',
        text(`{"tag":"${tag()}","pad":"${'o'.repeat(BODY_LIMIT)}"}`),
        [['content-type', 'application/json']],
      ],
    ];
    for (const [bodyName, body, headers] of bodies) {
      t.add({
        group: 'api key',
        name: `${keyName} + ${bodyName}`,
        request: { path, headers: [...headers, ...keyHeaders], body },
        status: 401,
        code: 'UNAUTHORIZED',
        authenticated: false,
      });
    }
  }
}

/** Cases 3. content types (415, not quarantined). */
export function addContentTypes(t: CaseTable): void {
  const badTypes = [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'text/json',
    'application/jsonp',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json; charset=iso-8859-1',
    '*/*',
    'json',
    'application/octet-stream',
  ];
  for (const contentType of badTypes) {
    t.add({
      group: 'content type',
      name: `content type ${contentType}`,
      request: {
        path: PATH,
        headers: [
          ['content-type', contentType],
          ['x-api-key', t.key],
        ],
        body: text(t.fresh().body),
      },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  }
  t.add({
    group: 'content type',
    name: 'no content type, with a body',
    request: { path: PATH, headers: [['x-api-key', t.key]], body: text(t.fresh().body) },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  });
}

/** Cases 11. other routes and methods (404, nothing read). */
export function addRoutes(t: CaseTable): void {
  for (const [method, path] of [
    ['GET', PATH],
    ['PUT', PATH],
    ['DELETE', PATH],
    ['PATCH', PATH],
    ['POST', `${PATH}/`],
    ['POST', '/webhooks/NOVAMED'],
    ['POST', '/webhooks'],
    ['POST', `${PATH}/../novamed`],
    ['POST', `${PATH}%00`],
  ] as const) {
    t.add({
      group: 'routes',
      name: `${method} ${path}`,
      request: { method, path, headers: t.jsonHeaders(), body: text(t.fresh().body) },
      status: 404,
      code: 'NOT_FOUND',
    });
  }
}

/** Cases 12. malformed HTTP: refused by Node's parser (400, no error body, nothing read). */
export function addMalformedHttp(t: CaseTable): void {
  for (const [name, request] of [
    [
      'control character in the key header',
      {
        path: PATH,
        headers: [
          ['content-type', 'application/json'],
          ['x-api-key', `${t.key.slice(0, 4)}\u0001`],
        ],
        body: text('{}'),
      },
    ],
    [
      'content-length and transfer-encoding',
      {
        path: PATH,
        headers: [...t.jsonHeaders(), ['content-length', '2']],
        body: text('{}'),
        chunked: true,
      },
    ],
    [
      'negative content-length',
      {
        path: PATH,
        headers: [...t.jsonHeaders(), ['content-length', '-1']],
        body: text('{}'),
        contentLength: false,
      },
    ],
    [
      'two different content-lengths',
      {
        path: PATH,
        headers: [...t.jsonHeaders(), ['content-length', '2'], ['content-length', '3']],
        body: text('{}'),
        contentLength: false,
      },
    ],
    [
      'space before the header colon',
      { path: PATH, headers: [...t.jsonHeaders(), ['x-odd ', '1']], body: text('{}') },
    ],
  ] as Array<[string, RawRequest]>) {
    t.add({ group: 'malformed HTTP', name, request, status: 400, code: undefined });
  }
}
