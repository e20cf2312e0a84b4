import type { CanaryEvent } from '../../harness/canary.js';
import { IDENTIFIER_MAX_BYTES, type Json, type Outcome, text } from './bad-input-case.js';
import type { CaseTable } from './case-table.js';

/** The envelope fields. */
export const FIELDS = ['event_type', 'event_id', 'timestamp', 'clinic_id', 'data'] as const;
export type Field = (typeof FIELDS)[number];

/**
 * Values of each field (but event_id, see {@link EVENT_ID_FORMATS}) and their outcome. The
 * envelope is checked before control characters and lengths: a value the envelope refuses is
 * INVALID_ENVELOPE whatever it holds; a lone surrogate (I-JSON) is refused before any of them.
 */
export const FORMATS: Record<Exclude<Field, 'event_id'>, Array<[string, unknown, Outcome]>> = {
  event_type: [
    ['without a colon', 'order', 'INVALID_ENVELOPE'],
    ['in upper case', 'ORDER:SHIPPED', 'INVALID_ENVELOPE'],
    ['with an empty name', 'order:', 'INVALID_ENVELOPE'],
    ['with an empty prefix', ':shipped', 'INVALID_ENVELOPE'],
    ['with a trailing space', 'order:shipped ', 'INVALID_ENVELOPE'],
    ['with a trailing newline', 'order:shipped\n', 'INVALID_ENVELOPE'],
    ['with a dash', 'order-shipped', 'INVALID_ENVELOPE'],
    ['with two colons', 'order:shipped:twice', 'INVALID_ENVELOPE'],
    ['starting with a digit', '1order:shipped', 'INVALID_ENVELOPE'],
    ['of 101 characters', `order:${'x'.repeat(95)}`, 'INVALID_ENVELOPE'],
    ['with a right-to-left override', 'order:\u202eshipped', 'INVALID_ENVELOPE'],
    ['with a zero-width space', 'order:\u200bshipped', 'INVALID_ENVELOPE'],
    ['with a lone surrogate', 'order:shipped\ud800', 'LONE_SURROGATE'],
    ['with U+0000', 'order:shipped\u0000', 'INVALID_ENVELOPE'],
    ['with a fullwidth colon', 'order\uff1ashipped', 'INVALID_ENVELOPE'],
    ['unknown but well-formed (stored by contract)', 'order:teleported', 'stored'],
    ['an unknown aggregate (stored by contract)', 'invoice:paid', 'stored'],
    ['of 3 characters (stored by contract)', 'x:y', 'stored'],
  ],
  timestamp: [
    ['a date only', '2025-01-15', 'INVALID_ENVELOPE'],
    ['without a zone', '2025-01-15T10:30:00', 'INVALID_ENVELOPE'],
    ['without a zone, with milliseconds', '2025-01-15T10:30:00.000', 'INVALID_ENVELOPE'],
    ['month 13', '2025-13-01T00:00:00Z', 'INVALID_ENVELOPE'],
    ['February 30', '2025-02-30T00:00:00Z', 'INVALID_ENVELOPE'],
    ['February 29 of a common year', '2025-02-29T00:00:00Z', 'INVALID_ENVELOPE'],
    ['hour 25', '2025-01-15T25:00:00Z', 'INVALID_ENVELOPE'],
    ['minute 60', '2025-01-15T10:60:00Z', 'INVALID_ENVELOPE'],
    ['a space instead of T', '2025-01-15 10:30:00Z', 'INVALID_ENVELOPE'],
    ['an offset without a colon', '2025-01-15T10:30:00+0100', 'INVALID_ENVELOPE'],
    ['epoch seconds as a string', '1736937000', 'INVALID_ENVELOPE'],
    ['epoch milliseconds as a number', 1_736_937_000_000, 'INVALID_ENVELOPE'],
    ['a word', 'yesterday', 'INVALID_ENVELOPE'],
    ['10 fraction digits', '2025-01-15T10:30:00.1234567890Z', 'INVALID_ENVELOPE'],
    ['an expanded year', '+002025-01-15T10:30:00Z', 'INVALID_ENVELOPE'],
    ['an RFC 2822 date', 'Wed, 15 Jan 2025 10:30:00 GMT', 'INVALID_ENVELOPE'],
    ['with trailing text', '2025-01-15T10:30:00Zjunk', 'INVALID_ENVELOPE'],
    ['February 29 of a leap year (valid)', '2024-02-29T00:00:00Z', 'stored'],
    ['an offset with milliseconds (valid)', '2025-01-15T10:30:00.123+01:00', 'stored'],
    ['lower-case t and z (valid)', '2025-01-15t10:30:00z', 'stored'],
  ],
  clinic_id: [
    ['of 256 characters', 'c'.repeat(256), 'INVALID_ENVELOPE'],
    // 255 characters pass the envelope; 510 bytes are over the identifier limit.
    ['of 255 two-byte characters', 'é'.repeat(255), 'IDENTIFIER_TOO_LONG'],
    ['holding U+0000', 'clinic\u0000x', 'CONTROL_CHARACTER'],
    ['holding a right-to-left override (valid string)', 'clinic\u202ex', 'stored'],
    ['holding a lone surrogate', 'clinic\ud800x', 'LONE_SURROGATE'],
  ],
  data: [
    ['a string', 'data', 'INVALID_ENVELOPE'],
    ['a JSON string of an object', '{"order_id":"x"}', 'INVALID_ENVELOPE'],
    ['an empty object (valid)', {}, 'stored'],
  ],
};

/** event_id values, unique per `serial` (a stored event is counted on the topic by its id). */
const EVENT_ID_FORMATS: Array<[string, (serial: number) => string, Outcome]> = [
  ['of 256 characters', () => 'e'.repeat(256), 'INVALID_ENVELOPE'],
  ['of 255 characters (valid)', (n) => `evt_${n}_`.padEnd(255, 'z'), 'stored'],
  ['holding U+0000', (n) => `evt_nul_${n}\u0000x`, 'CONTROL_CHARACTER'],
  ['holding a lone surrogate', (n) => `evt_sur_${n}\ud800x`, 'LONE_SURROGATE'],
  ['holding a right-to-left override (valid string)', (n) => `evt_rtl_${n}\u202ex`, 'stored'],
];

/** Cases 9. every envelope field: wrong types and formats. */
export function addEnvelope(t: CaseTable): void {
  const wrongTypes: Array<[string, unknown]> = [
    ['null', null],
    ['a number', 42],
    ['zero', 0],
    ['true', true],
    ['an array', []],
    ['an array of strings', ['order:created']],
    ['an object', { value: 'x' }],
    ['an empty string', ''],
  ];
  for (const field of FIELDS) {
    const m = t.mutated((o) => {
      delete o[field];
    });
    t.rejected('envelope', `${field} missing`, m.body, 'INVALID_ENVELOPE');
    for (const [what, value] of wrongTypes) {
      if (field === 'data' && what === 'an object') continue;
      t.rejected(
        'envelope',
        `${field} is ${what}`,
        t.mutated((o) => {
          o[field] = value;
        }).body,
        'INVALID_ENVELOPE',
      );
    }
  }
  for (const field of FIELDS) {
    if (field === 'event_id') {
      EVENT_ID_FORMATS.forEach(([what, value, outcome], serial) => {
        const m = t.mutated((o) => {
          o['event_id'] = value(serial);
        });
        t.withOutcome('envelope', `event_id ${what}`, m.body, value(serial), outcome);
      });
      continue;
    }
    for (const [what, value, outcome] of FORMATS[field]) {
      const m = t.mutated((o) => {
        o[field] = value;
      });
      t.withOutcome('envelope', `${field} ${what}`, m.body, m.eventId, outcome);
    }
  }
  const notObjects: Array<[string, string]> = [
    ['an empty array', '[]'],
    ['null', 'null'],
    ['a number', '1'],
    ['a string', '"order:created"'],
    ['true', 'true'],
    ['an empty object', '{}'],
    ['an array holding a valid event', `[${t.fresh().body}]`],
  ];
  for (const [what, json] of notObjects) {
    t.rejected('envelope', `the body is ${what}`, text(json), 'INVALID_ENVELOPE');
  }
}

/**
 * Cases 10. key data fields: any type is stored as sent (projectors decide); a string id must be
 * plain text of at most IDENTIFIER_MAX_BYTES (it becomes the routing key).
 */
export function addDataFields(t: CaseTable): void {
  const idFields: Array<[CanaryEvent['kind'], string]> = [
    ['order', 'order_id'],
    ['medication_request', 'medication_request_id'],
    ['refill', 'refill_id'],
  ];
  const dataValues: Array<[string, unknown, Outcome]> = [
    ['a number', 42, 'stored'],
    ['null', null, 'stored'],
    ['an array', ['a', 'b'], 'stored'],
    ['an object', { id: 'x' }, 'stored'],
    ['an empty string', '', 'stored'],
    ['true', true, 'stored'],
    ['missing', undefined, 'stored'],
    // The routing key is made of it: a string id must be plain text.
    ['a string holding U+0000', 'id\u0000x', 'CONTROL_CHARACTER'],
  ];
  for (const [kind, idField] of idFields) {
    for (const [what, value, outcome] of dataValues) {
      const m = t.mutated((o) => {
        const data = o['data'] as Json;
        if (value === undefined) delete data[idField];
        else data[idField] = value;
      }, kind);
      t.withOutcome('data fields', `${kind} ${idField} is ${what}`, m.body, m.eventId, outcome);
    }
  }
  // The routing key is made of the id: at most IDENTIFIER_MAX_BYTES bytes of UTF-8.
  for (const [what, id, outcome] of [
    [`of ${IDENTIFIER_MAX_BYTES} bytes`, 'o'.repeat(IDENTIFIER_MAX_BYTES), 'stored'],
    [
      `of ${IDENTIFIER_MAX_BYTES + 1} bytes`,
      'o'.repeat(IDENTIFIER_MAX_BYTES + 1),
      'IDENTIFIER_TOO_LONG',
    ],
    ['of 10,000 characters', 'o'.repeat(10_000), 'IDENTIFIER_TOO_LONG'],
  ] as const) {
    const m = t.mutated((o) => {
      (o['data'] as Json)['order_id'] = id;
    }, 'order');
    t.withOutcome('data fields', `order_id ${what}`, m.body, m.eventId, outcome);
  }
  {
    // Not an identifying field: any well-formed text is stored.
    const m = t.mutated((o) => {
      (o['data'] as Json)['patient_name'] = 'Name\u0000\u202e\ufeff😀';
    });
    t.accepted('data fields', 'patient_name with U+0000, RTL, BOM, emoji', m.body, m.eventId);
  }
  {
    // JSON.stringify writes the lone surrogate as the escape \ud800, which I-JSON refuses.
    const m = t.mutated((o) => {
      (o['data'] as Json)['patient_name'] = 'Name\ud800\u0000\u202e\ufeff😀';
    });
    t.rejected(
      'data fields',
      'patient_name with a lone surrogate, U+0000, RTL, BOM, emoji',
      m.body,
      'LONE_SURROGATE',
    );
  }
}
