import { seededRandom } from '@novamed-stream/testkit';
import type { CanaryEvent } from './canary.js';

/** The families of hostile bodies, in the order the summary lists them. */
export const HOSTILE_FAMILIES = [
  'deep nesting',
  'huge strings',
  'control characters',
  'lone surrogates',
  'invalid UTF-8',
  'duplicate keys',
  'extreme numbers',
  'unknown event types',
  'wrong types',
  'id lengths',
  'empty objects',
] as const;

/** One family of hostile bodies. */
export type HostileFamily = (typeof HOSTILE_FAMILIES)[number];

/** One hostile (but authenticated) webhook body. */
export interface HostileCase {
  family: HostileFamily;
  /** What it is, without its value: `deep nesting: 100000 arrays in data.<id>`. */
  name: string;
  body: Buffer;
  /** The event id the template had before any change (`evt_fz<n>`, unique per case). */
  templateEventId: string;
}

/** Options of {@link hostileCorpus}. */
export interface HostileCorpusOptions {
  seed: number;
  /** Realistic events (canary PHI included) to make the bodies from. */
  templates: { take(count: number): CanaryEvent[] };
  /** Bodies per family: each family's must-have cases, then a seeded sample of the rest. */
  perFamily: number;
  /** The ingress's body limit: huge strings are sized to just fit it and just exceed it. */
  bodyLimit: number;
}

type Json = Record<string, unknown>;
type Kind = CanaryEvent['kind'];

/** A candidate case: built only when drawn (some bodies are 256 KiB or 100,000 levels deep). */
interface Spec {
  name: string;
  must?: boolean;
  kind?: Kind;
  build: (template: Template) => Buffer;
}

/** A template event whose ids were made unique to this case. */
interface Template {
  o: Json;
  data: Json;
  idField: string;
  kind: Kind;
}

const ID_FIELD: Record<Kind, string> = {
  order: 'order_id',
  medication_request: 'medication_request_id',
  refill: 'refill_id',
};

/** A placeholder string token, replaced in the serialised JSON by raw bytes. */
const HOLE = '@@fz-hole@@';
const HOLE_TOKEN = `"${HOLE}"`;

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const latin1 = (s: string) => Buffer.from(s, 'latin1');

/** `o` serialised, with every `"@@fz-hole@@"` token (value or member name) replaced by `raw`. */
function fill(o: unknown, raw: Buffer): Buffer {
  const parts = JSON.stringify(o).split(HOLE_TOKEN);
  const out: Buffer[] = [];
  parts.forEach((part, i) => {
    if (i > 0) out.push(raw);
    out.push(utf8(part));
  });
  return Buffer.concat(out);
}

/** Where a hostile value goes. */
const VALUE_POSITIONS = [
  'data.<id>',
  'data field',
  'data nested object',
  'data array',
  'event_id',
  'event_type',
  'clinic_id',
  'timestamp',
  'top-level field',
] as const;
type ValuePosition = (typeof VALUE_POSITIONS)[number];

/** Where a hostile member name goes. */
const NAME_POSITIONS = ['data member name', 'top-level member name', 'nested member name'] as const;
type NamePosition = (typeof NAME_POSITIONS)[number];

function placeValue(t: Template, position: ValuePosition | 'data'): Json {
  const o = structuredClone(t.o);
  const data = o['data'] as Json;
  switch (position) {
    case 'data.<id>':
      data[t.idField] = HOLE;
      break;
    case 'data field':
      data['fz_note'] = HOLE;
      break;
    case 'data nested object':
      data['fz_meta'] = { source: 'fz', detail: { value: HOLE } };
      break;
    case 'data array':
      data['fz_list'] = ['a', HOLE, 'b'];
      break;
    case 'event_id':
    case 'event_type':
    case 'clinic_id':
    case 'timestamp':
      o[position] = HOLE;
      break;
    case 'top-level field':
      o['fz_extra'] = HOLE;
      break;
    case 'data':
      o['data'] = HOLE;
      break;
  }
  return o;
}

function placeName(t: Template, position: NamePosition): Json {
  const o = structuredClone(t.o);
  const data = o['data'] as Json;
  switch (position) {
    case 'data member name':
      data[HOLE] = 'v';
      break;
    case 'top-level member name':
      o[HOLE] = 'v';
      break;
    case 'nested member name':
      data['fz_meta'] = { detail: { [HOLE]: 'v' } };
      break;
  }
  return o;
}

/** A JSON string token `"<prefix><inner><suffix>"`, `inner` given as raw bytes. */
const stringToken = (inner: Buffer, prefix = '', suffix = '') =>
  Buffer.concat([utf8(`"${prefix}`), inner, utf8(`${suffix}"`)]);

// --- the families ---------------------------------------------------------------------------

function deepNesting(): Spec[] {
  const depths = [100_000, 1_001, 1_000, 100];
  const shapes: Array<[string, (d: number) => string]> = [
    ['arrays', (d) => `${'['.repeat(d)}${']'.repeat(d)}`],
    ['objects', (d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`],
    ['arrays of objects', (d) => `${'[{"a":'.repeat(d / 2)}1${'}]'.repeat(d / 2)}`],
  ];
  const specs: Spec[] = [];
  for (const depth of depths) {
    for (const [shape, nest] of shapes) {
      if (shape === 'arrays of objects' && depth % 2 === 1) continue;
      const must = shape === 'arrays' || depth === 100_000;
      for (const position of [...VALUE_POSITIONS, 'data'] as const) {
        // The incident: 100,000 arrays in a data field, then the same depth in every position.
        specs.push({
          name: `${depth} levels of ${shape} in ${position}`,
          must: must && (position === 'data field' || position === 'data.<id>'),
          build: (t) => fill(placeValue(t, position), utf8(nest(depth))),
        });
      }
      specs.push({
        name: `the body is ${depth} levels of ${shape}`,
        must: depth === 100_000 && shape === 'arrays',
        build: () => utf8(nest(depth)),
      });
    }
  }
  return specs;
}

function hugeStrings(bodyLimit: number): Spec[] {
  const chars: Array<[string, string, number]> = [
    // label, raw JSON text of one character, bytes of that text
    ['ASCII', 'x', 1],
    ['é (2 bytes)', 'é', 2],
    ['€ (3 bytes)', '€', 3],
    ['emoji (4 bytes)', '😀', 4],
    ['escaped \\u00e9', '\\u00e9', 6],
  ];
  const sizes = ['64 KiB', 'just fits the limit', 'just over the limit'] as const;
  const specs: Spec[] = [];
  for (const size of sizes) {
    for (const [label, unit, unitBytes] of chars) {
      const positions = [...VALUE_POSITIONS.filter((p) => p !== 'timestamp'), ...NAME_POSITIONS];
      for (const position of positions) {
        specs.push({
          name: `string of ${label}, ${size}, in ${position}`,
          must: label === 'ASCII' && (position === 'data.<id>' || position === 'data field'),
          build: (t) => {
            const o = (NAME_POSITIONS as readonly string[]).includes(position)
              ? placeName(t, position as NamePosition)
              : placeValue(t, position as ValuePosition);
            const base = fill(o, utf8('""')).length;
            const room = bodyLimit - base;
            const count =
              size === '64 KiB'
                ? Math.floor((64 * 1024) / unitBytes)
                : size === 'just fits the limit'
                  ? Math.floor(room / unitBytes)
                  : Math.floor(room / unitBytes) + 1;
            return fill(o, utf8(`"${unit.repeat(count)}"`));
          },
        });
      }
    }
  }
  // Past Jackson's default limit on member names (50,000 characters), well inside the body limit.
  for (const position of NAME_POSITIONS) {
    specs.push({
      name: `member name of 60,000 characters in ${position}`,
      must: position === 'data member name',
      build: (t) => fill(placeName(t, position), utf8(`"${'n'.repeat(60_000)}"`)),
    });
  }
  return specs;
}

/** Characters of the control family: escaped always valid JSON; raw only from U+0020 on. */
const CONTROLS: Array<[string, number]> = [
  ['U+0000', 0x0000],
  ['U+0001', 0x0001],
  ['U+0008', 0x0008],
  ['U+001F', 0x001f],
  ['U+007F', 0x007f],
  ['U+0085', 0x0085],
  ['U+2028', 0x2028],
  ['U+2029', 0x2029],
  ['U+FEFF', 0xfeff],
  ['U+202E', 0x202e],
  ['U+FFFE', 0xfffe],
  ['U+FFFF', 0xffff],
];

function controlCharacters(): Spec[] {
  const specs: Spec[] = [];
  const hex = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;
  for (const [label, code] of CONTROLS) {
    for (const form of ['escaped', 'raw'] as const) {
      const inner = form === 'escaped' ? utf8(hex(code)) : utf8(String.fromCharCode(code));
      for (const where of ['alone', 'inside an id-like value'] as const) {
        const token = where === 'alone' ? stringToken(inner) : stringToken(inner, 'fz_', '_tail');
        for (const position of [...VALUE_POSITIONS, ...NAME_POSITIONS]) {
          specs.push({
            name: `${label} ${form}, ${where}, in ${position}`,
            must:
              label === 'U+0000' &&
              form === 'escaped' &&
              (position === 'data.<id>' || position === 'event_id' || position === 'data field'),
            build: (t) =>
              fill(
                (NAME_POSITIONS as readonly string[]).includes(position)
                  ? placeName(t, position as NamePosition)
                  : placeValue(t, position as ValuePosition),
                token,
              ),
          });
        }
      }
    }
  }
  return specs;
}

function loneSurrogates(): Spec[] {
  const forms: Array<[string, Buffer, boolean]> = [
    ['escaped \\ud800', utf8('\\ud800'), true],
    ['escaped \\udbff', utf8('\\udbff'), false],
    ['escaped \\udc00', utf8('\\udc00'), true],
    ['escaped \\udfff', utf8('\\udfff'), false],
    ['escaped reversed pair \\udc00\\ud800', utf8('\\udc00\\ud800'), false],
    ['escaped high surrogate then x', utf8('\\ud800x'), false],
    ['raw bytes ED A0 80 (CESU-8 U+D800)', latin1('\xed\xa0\x80'), true],
    ['raw bytes ED BF BF (CESU-8 U+DFFF)', latin1('\xed\xbf\xbf'), false],
    ['raw CESU-8 pair ED A0 BD ED B8 80', latin1('\xed\xa0\xbd\xed\xb8\x80'), false],
  ];
  const specs: Spec[] = [];
  for (const [label, inner, key] of forms) {
    for (const where of ['alone', 'inside an id-like value'] as const) {
      const token = where === 'alone' ? stringToken(inner) : stringToken(inner, 'fz_', '_tail');
      for (const position of [...VALUE_POSITIONS, ...NAME_POSITIONS]) {
        specs.push({
          name: `${label}, ${where}, in ${position}`,
          must: key && where === 'alone' && (position === 'data.<id>' || position === 'event_id'),
          build: (t) =>
            fill(
              (NAME_POSITIONS as readonly string[]).includes(position)
                ? placeName(t, position as NamePosition)
                : placeValue(t, position as ValuePosition),
              token,
            ),
        });
      }
    }
  }
  return specs;
}

function invalidUtf8(): Spec[] {
  const sequences: Array<[string, string]> = [
    ['byte FF', '\xff'],
    ['byte FE', '\xfe'],
    ['overlong NUL C0 80', '\xc0\x80'],
    ['overlong / C0 AF', '\xc0\xaf'],
    ['truncated E2 82', '\xe2\x82'],
    ['lone continuation 80', '\x80'],
    ['above U+10FFFF F4 90 80 80', '\xf4\x90\x80\x80'],
    ['5-byte form F8 88 80 80 80', '\xf8\x88\x80\x80\x80'],
    ['Latin-1 é E9', '\xe9'],
    ['cut 4-byte F0 9F 98', '\xf0\x9f\x98'],
  ];
  const specs: Spec[] = [];
  for (const [label, bytes] of sequences) {
    for (const position of [...VALUE_POSITIONS, ...NAME_POSITIONS]) {
      specs.push({
        name: `${label} inside a string in ${position}`,
        must: label === 'byte FF' && position === 'data.<id>',
        build: (t) =>
          fill(
            (NAME_POSITIONS as readonly string[]).includes(position)
              ? placeName(t, position as NamePosition)
              : placeValue(t, position as ValuePosition),
            stringToken(latin1(bytes), 'fz', 'z'),
          ),
      });
    }
    specs.push({
      name: `${label} between tokens`,
      build: (t) => Buffer.concat([utf8('{'), latin1(bytes), utf8(JSON.stringify(t.o).slice(1))]),
    });
  }
  return specs;
}

function duplicateKeys(): Spec[] {
  const specs: Spec[] = [];
  /** The template with `members` (raw member text) spliced first or last into an object. */
  const splice = (
    t: Template,
    into: 'envelope' | 'data',
    at: 'first' | 'last',
    members: string,
  ) => {
    const o = structuredClone(t.o);
    const target = into === 'envelope' ? o : (o['data'] as Json);
    const marked = at === 'first' ? { [HOLE]: 0, ...target } : { ...target, [HOLE]: 0 };
    const text = JSON.stringify(into === 'envelope' ? marked : { ...o, data: marked });
    return utf8(text.replace(`${HOLE_TOKEN}:0`, () => members));
  };
  const envelopeOthers: Array<[string, (t: Template) => string]> = [
    [
      'event_type, another known type',
      (t) => `"event_type":"${t.kind === 'order' ? 'refill:denied' : 'order:created'}"`,
    ],
    ['event_type, an unknown type', () => '"event_type":"order:returned"'],
    ['event_type, a number', () => '"event_type":42'],
    ['event_id, another id', (t) => `"event_id":"${String(t.o['event_id'])}_other"`],
    ['event_id, empty', () => '"event_id":""'],
    ['clinic_id, another clinic', () => '"clinic_id":"clinic_fz_other"'],
    ['timestamp, invalid', () => '"timestamp":"yesterday"'],
    ['timestamp, another instant', () => '"timestamp":"2030-01-01T00:00:00Z"'],
    ['data, another object', () => '"data":{"fz":"other"}'],
    ['data, an array', () => '"data":[1,2]'],
    [
      'event_id under an escaped name "event\\u005fid"',
      (t) => `"event\\u005fid":"${String(t.o['event_id'])}_esc"`,
    ],
  ];
  for (const [label, member] of envelopeOthers) {
    for (const at of ['first', 'last'] as const) {
      specs.push({
        name: `envelope ${label}, ${at}`,
        must: label.startsWith('event_type, another') || label.startsWith('event_id, another'),
        build: (t) => splice(t, 'envelope', at, member(t)),
      });
    }
  }
  const dataOthers: Array<[string, (t: Template) => string]> = [
    ['<id>, another id', (t) => `"${t.idField}":"${String(t.data[t.idField])}_other"`],
    ['<id>, a number', (t) => `"${t.idField}":7`],
    ['<id>, null', (t) => `"${t.idField}":null`],
    ['medication_request_id, another id', () => '"medication_request_id":"med_req_fz_other"'],
    ['patient_id, another id', () => '"patient_id":"pat_fz_other"'],
  ];
  for (const [label, member] of dataOthers) {
    for (const at of ['first', 'last'] as const) {
      specs.push({
        name: `data ${label}, ${at}`,
        must: label.startsWith('<id>, another'),
        build: (t) => splice(t, 'data', at, member(t)),
      });
    }
  }
  for (const depth of [2, 5, 50, 900]) {
    specs.push({
      name: `duplicate member at depth ${depth} in data`,
      build: (t) => {
        const o = placeValue(t, 'data field');
        const inner = `${'{"n":'.repeat(depth - 1)}{"a":1,"a":2}${'}'.repeat(depth - 1)}`;
        return fill(o, utf8(inner));
      },
    });
  }
  specs.push({
    name: 'the same member 1,000 times in data',
    build: (t) =>
      splice(t, 'data', 'last', Array.from({ length: 1000 }, (_, i) => `"fz":${i}`).join(',')),
  });
  specs.push({
    name: 'the whole envelope twice in one object',
    build: (t) => splice(t, 'envelope', 'last', JSON.stringify(t.o).slice(1, -1)),
  });
  return specs;
}

function extremeNumbers(): Spec[] {
  const numbers: Array<[string, string, boolean?]> = [
    ['1e400', '1e400', true],
    ['-1e400', '-1e400'],
    ['1e-400', '1e-400', true],
    ['-0', '-0', true],
    ['-0.0', '-0.0'],
    ['0e-0', '0e-0'],
    ['2^63', '9223372036854775808', true],
    ['2^63-1', '9223372036854775807'],
    ['-2^63-1', '-9223372036854775809'],
    ['2^64', '18446744073709551616'],
    ['2^53+1', '9007199254740993'],
    ['5e-324 (smallest double)', '5e-324'],
    ['2.4e-324 (below it)', '2.4e-324'],
    ['1.7976931348623157e308 (largest double)', '1.7976931348623157e308'],
    ['1.8e308 (above it)', '1.8e308'],
    ['a 1,001-digit integer', `1${'0'.repeat(1000)}`, true],
    ['a 4,301-digit integer', `1${'0'.repeat(4300)}`, true],
    ['a 1,000-digit fraction', `0.${'3'.repeat(1000)}`],
    ['an exponent of 20 digits', '1e00000000000000000001'],
    ['1E+2', '1E+2'],
  ];
  const specs: Spec[] = [];
  const positions = [
    'data field',
    'data nested object',
    'data array',
    'top-level field',
    'data.<id>',
    'event_id',
  ] as const;
  for (const [label, text, must] of numbers) {
    for (const position of positions) {
      specs.push({
        name: `${label} in ${position}`,
        must: must === true && position === 'data field',
        build: (t) => fill(placeValue(t, position), utf8(text)),
      });
    }
  }
  return specs;
}

function unknownEventTypes(): Spec[] {
  const types = [
    ['order:returned', true],
    ['medication_request:paused', true],
    ['refill:expired', true],
    ['shipment:created', true],
    ['a:b', false],
    ['order:created_v2', false],
    ['order:', false],
    [':created', false],
    ['ORDER:CREATED', false],
    ['order:created ', false],
    ['order :created', false],
    ['order.created', false],
    ['order:créé', false],
    [`order:${'x'.repeat(100)}`, false],
    ['order:created\n', false],
  ] as const;
  const specs: Spec[] = types.map(([type, must]) => ({
    name: `event_type ${JSON.stringify(type).slice(0, 40)}`,
    must,
    build: (t: Template) => utf8(JSON.stringify({ ...t.o, event_type: type })),
  }));
  // A known type with another aggregate's data.
  for (const type of ['order:shipped', 'medication_request:approved', 'refill:denied']) {
    specs.push({
      name: `event_type ${type} on another aggregate's data`,
      kind: type.startsWith('order') ? 'medication_request' : 'order',
      build: (t) => utf8(JSON.stringify({ ...t.o, event_type: type })),
    });
  }
  return specs;
}

function wrongTypes(): Spec[] {
  const values: Array<[string, string]> = [
    ['null', 'null'],
    ['true', 'true'],
    ['false', 'false'],
    ['0', '0'],
    ['1.5', '1.5'],
    ['empty string', '""'],
    ['empty array', '[]'],
    ['empty object', '{}'],
    ['array of a string', '["x"]'],
    ['object', '{"x":1}'],
  ];
  const specs: Spec[] = [];
  for (const field of ['event_type', 'event_id', 'timestamp', 'clinic_id', 'data'] as const) {
    for (const [label, text] of values) {
      specs.push({
        name: `envelope ${field} is ${label}`,
        must: field === 'data' && (label === 'null' || label === 'empty array'),
        build: (t) => fill(placeValue(t, field === 'data' ? 'data' : field), utf8(text)),
      });
    }
    specs.push({
      name: `envelope ${field} is missing`,
      build: (t) => {
        const o = structuredClone(t.o);
        delete o[field];
        return utf8(JSON.stringify(o));
      },
    });
  }
  // Every field the template's data has, by name: the schemas of the 12 types decide.
  const dataFields = [
    'order_id',
    'medication_request_id',
    'refill_id',
    'patient_id',
    'status',
    'quantity',
    'refills',
    'carrier',
    'tracking_number',
    'shipping_address',
    'items',
    'requested_at',
    'shipped_at',
  ];
  for (const field of dataFields) {
    for (const [label, text] of values) {
      specs.push({
        name: `data.${field} is ${label}`,
        must: field === 'order_id' && label === 'object',
        kind: field === 'refill_id' ? 'refill' : field === 'order_id' ? 'order' : undefined,
        build: (t) => {
          const o = structuredClone(t.o);
          (o['data'] as Json)[field] = HOLE;
          return fill(o, utf8(text));
        },
      });
    }
  }
  return specs;
}

function idLengths(): Spec[] {
  const lengths = [0, 1, 255, 256, 10_000];
  const fields: Array<[string, Kind | undefined]> = [
    ['event_id', undefined],
    ['clinic_id', undefined],
    ['data.<id>', undefined],
    ['data.order_id', 'order'],
    ['data.medication_request_id', 'medication_request'],
    ['data.refill_id', 'refill'],
    ['data.medication_request_id of a refill', 'refill'],
    ['data.patient_id', undefined],
  ];
  const specs: Spec[] = [];
  for (const [field, kind] of fields) {
    for (const length of lengths) {
      specs.push({
        name: `${field} of ${length.toLocaleString('en-US')} characters`,
        must: length === 0 || length === 10_000,
        kind,
        build: (t) => {
          const o = structuredClone(t.o);
          const value = 'i'.repeat(length);
          if (field === 'event_id' || field === 'clinic_id') o[field] = value;
          else {
            const name =
              field === 'data.<id>'
                ? t.idField
                : field.replace('data.', '').replace(' of a refill', '');
            (o['data'] as Json)[name] = value;
          }
          return utf8(JSON.stringify(o));
        },
      });
    }
  }
  return specs;
}

function emptyObjects(): Spec[] {
  const whole: Array<[string, string]> = [
    ['{}', '{}'],
    ['[]', '[]'],
    ['null', 'null'],
    ['""', '""'],
    ['0', '0'],
    ['{"data":{}}', '{"data":{}}'],
    ['{"":{}}', '{"":{}}'],
  ];
  const specs: Spec[] = whole.map(([label, text]) => ({
    name: `the body is ${label}`,
    must: label === '{}',
    build: () => utf8(text),
  }));
  for (const kind of ['order', 'medication_request', 'refill'] as const) {
    specs.push({
      name: `${kind} event with data {}`,
      must: true,
      kind,
      build: (t) => utf8(JSON.stringify({ ...t.o, data: {} })),
    });
    specs.push({
      name: `${kind} event whose data holds only its id`,
      kind,
      build: (t) => utf8(JSON.stringify({ ...t.o, data: { [t.idField]: t.data[t.idField] } })),
    });
  }
  const fields: Array<[string, (t: Template) => Json]> = [
    ['data with an empty member name', (t) => ({ ...t.o, data: { ...t.data, '': 'v' } })],
    ['data with an empty object member', (t) => ({ ...t.o, data: { ...t.data, fz: {} } })],
    ['an empty member name at the top', (t) => ({ ...t.o, '': {} })],
    [
      'every string in data emptied',
      (t) => ({
        ...t.o,
        data: Object.fromEntries(
          Object.entries(t.data).map(([k, v]) => [k, typeof v === 'string' ? '' : v]),
        ),
      }),
    ],
    [
      'every object in data emptied',
      (t) => ({
        ...t.o,
        data: Object.fromEntries(
          Object.entries(t.data).map(([k, v]) => [k, v && typeof v === 'object' ? {} : v]),
        ),
      }),
    ],
  ];
  for (const [name, make] of fields)
    specs.push({ name, build: (t) => utf8(JSON.stringify(make(t))) });
  return specs;
}

// --- drawing ---------------------------------------------------------------------------------

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Draws the hostile corpus: per family its must-have cases (the incident's shapes, the brief's
 * examples) and a seeded sample of the rest, up to `perFamily`. Each body is made from a fresh
 * template event whose event id (`evt_fz<n>`) and aggregate ids (`…_fz<n>`) are unique to the
 * case, so a hostile event never touches a normal event's row. Same seed, same corpus.
 */
export function hostileCorpus(options: HostileCorpusOptions): HostileCase[] {
  const next = seededRandom(options.seed);
  const families: Record<HostileFamily, Spec[]> = {
    'deep nesting': deepNesting(),
    'huge strings': hugeStrings(options.bodyLimit),
    'control characters': controlCharacters(),
    'lone surrogates': loneSurrogates(),
    'invalid UTF-8': invalidUtf8(),
    'duplicate keys': duplicateKeys(),
    'extreme numbers': extremeNumbers(),
    'unknown event types': unknownEventTypes(),
    'wrong types': wrongTypes(),
    'id lengths': idLengths(),
    'empty objects': emptyObjects(),
  };
  const pool: CanaryEvent[] = [];
  const template = (kind: Kind | undefined): CanaryEvent => {
    for (;;) {
      const at = pool.findIndex((e) => kind === undefined || e.kind === kind);
      if (at >= 0) return pool.splice(at, 1)[0] as CanaryEvent;
      pool.push(...options.templates.take(20));
    }
  };
  const cases: HostileCase[] = [];
  for (const family of HOSTILE_FAMILIES) {
    const specs = families[family];
    const must = specs.filter((s) => s.must);
    const rest = shuffled(
      specs.filter((s) => !s.must),
      next,
    );
    const drawn = [...must, ...rest].slice(0, Math.max(options.perFamily, must.length));
    for (const spec of drawn) {
      const serial = cases.length;
      const event = template(spec.kind);
      const o = structuredClone(event.event) as unknown as Json;
      const data = o['data'] as Json;
      const eventId = `evt_fz${serial}`;
      o['event_id'] = eventId;
      for (const field of ['order_id', 'medication_request_id', 'refill_id']) {
        if (typeof data[field] === 'string') data[field] = `${data[field] as string}_fz${serial}`;
      }
      const t: Template = { o, data, idField: ID_FIELD[event.kind], kind: event.kind };
      cases.push({
        family,
        name: `${family}: ${spec.name}`,
        body: spec.build(t),
        templateEventId: eventId,
      });
    }
  }
  return cases;
}
