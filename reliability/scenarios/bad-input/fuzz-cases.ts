import fc from 'fast-check';
import {
  FUZZ_RUNS,
  FUZZ_SEED,
  IDENTIFIER_MAX_BYTES,
  type Json,
  type Outcome,
  PATH,
  type QuarantinedCode,
  text,
} from './bad-input-case.js';
import type { CaseTable } from './case-table.js';
import { FIELDS, type Field, FORMATS } from './envelope-cases.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The I-JSON rule the serialisation of `value` breaks first, in the order JSON.stringify writes
 * it (a member name before its value), or undefined. Only two rules can be broken by a value
 * JSON.stringify writes: a lone surrogate (written as an escape) and an integral number of 2^53
 * or more below 1e21 (written as an integer literal, not exact in a double); the others
 * (nesting, names, duplicates, UTF-8, overflow) cannot arise from the fuzzer's values.
 */
function firstIJsonViolation(value: unknown): QuarantinedCode | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? 'LONE_SURROGATE' : undefined;
  if (typeof value === 'number') {
    const integerLiteral = /^-?\d+$/.test(JSON.stringify(value));
    return integerLiteral && !Number.isSafeInteger(value) ? 'NUMBER_OUT_OF_RANGE' : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = firstIJsonViolation(item);
      if (found) return found;
    }
    return undefined;
  }
  for (const [name, item] of Object.entries(value)) {
    const found = firstIJsonViolation(name) ?? firstIJsonViolation(item);
    if (found) return found;
  }
  return undefined;
}

/** The identifying fields of a valid envelope that are strings. */
function identifyingStrings(o: Json): string[] {
  const data = o['data'] as Json;
  const values = [
    o['event_id'],
    o['event_type'],
    o['clinic_id'],
    data['order_id'],
    data['medication_request_id'],
    data['refill_id'],
  ];
  return values.filter((v): v is string => typeof v === 'string');
}

/** U+0000-U+001F or U+007F. */
const hasControl = (s: string) =>
  [...s].some((c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 || code === 0x7f;
  });

/**
 * What the ingress must answer to the fuzzed envelope `o` (`valid`: every field passes the
 * envelope), in its order: the I-JSON profile, the envelope, control characters, lengths.
 */
function fuzzOutcome(o: Json, valid: boolean): Outcome {
  const violation = firstIJsonViolation(o);
  if (violation) return violation;
  if (!valid) return 'INVALID_ENVELOPE';
  const identifying = identifyingStrings(o);
  if (identifying.some(hasControl)) return 'CONTROL_CHARACTER';
  if (identifying.some((s) => Buffer.byteLength(s) > IDENTIFIER_MAX_BYTES)) {
    return 'IDENTIFIER_TOO_LONG';
  }
  return 'stored';
}

/**
 * Cases 13. property-based: valid canary events mutated field by field (fast-check).
 * Over 80 lines because it is one definition read as a whole: the field rules, the
 * arbitraries drawn from them and the loop labelling each sample with its expected answer.
 */
export function addFuzz(t: CaseTable): void {
  const wellFormedType = /^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$/;
  const stringField = (min: number, max: number) => (v: unknown) =>
    typeof v === 'string' && v.length >= min && v.length <= max;
  const fieldOk: Record<Field, (v: unknown) => boolean> = {
    event_type: (v) =>
      typeof v === 'string' && v.length >= 3 && v.length <= 100 && wellFormedType.test(v),
    event_id: stringField(1, 255),
    clinic_id: stringField(1, 255),
    // Only drawn from the labelled pools below, so the oracle is the label.
    timestamp: () => true,
    data: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  };
  const validTimestamp = fc
    .date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('2200-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString());
  const invalidTimestamp = fc.oneof(
    fc.constantFrom(
      ...FORMATS.timestamp.filter(([, , outcome]) => outcome !== 'stored').map(([, v]) => v),
    ),
    validTimestamp.map((s) => s.slice(0, 19)),
    validTimestamp.map((s) => s.replace('T', ' ')),
    fc.string({ maxLength: 30 }).filter((s) => !/^\d{4}-/.test(s)),
    fc.integer(),
  );
  type Mutation =
    | { kind: 'keep' }
    | { kind: 'delete' }
    | { kind: 'set'; value: unknown; ok: boolean };
  const stringish = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ maxLength: 40, unit: 'binary' }),
    fc.constantFrom('', 'x'.repeat(255), 'x'.repeat(256), 'order:created', 'refill:denied'),
  );
  const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), stringish);
  const mutationOf = (field: Field): fc.Arbitrary<Mutation> =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant<Mutation>({ kind: 'keep' }) },
      { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'delete' }) },
      {
        weight: 2,
        arbitrary:
          field === 'timestamp'
            ? fc.oneof(
                validTimestamp.map((value): Mutation => ({ kind: 'set', value, ok: true })),
                invalidTimestamp.map((value): Mutation => ({ kind: 'set', value, ok: false })),
              )
            : anyJson.map((value): Mutation => ({ kind: 'set', value, ok: fieldOk[field](value) })),
      },
    );
  const fuzzArb = fc.record({
    event_type: mutationOf('event_type'),
    event_id: mutationOf('event_id'),
    timestamp: mutationOf('timestamp'),
    clinic_id: mutationOf('clinic_id'),
    data: mutationOf('data'),
    auth: fc.constantFrom('key', 'key', 'key', 'key', 'key', 'key', 'key', 'key', 'none', 'wrong'),
  });
  const samples = fc.sample(fuzzArb, { seed: FUZZ_SEED, numRuns: FUZZ_RUNS });
  samples.forEach((sample, i) => {
    const event = t.fresh();
    const o = t.clone(event);
    let valid = true;
    for (const field of FIELDS) {
      const m = sample[field];
      if (m.kind === 'delete') {
        delete o[field];
        valid = false;
      } else if (m.kind === 'set') {
        o[field] = m.value;
        valid &&= m.ok;
      }
    }
    // A fuzzed event_id may repeat another case's id: make the valid ones unique.
    if (valid && sample.event_id.kind === 'set') {
      const id = `${o['event_id'] as string}`;
      if (id.length <= 240) o['event_id'] = `${id}~fz${i}`;
    }
    const body = text(JSON.stringify(o));
    const name = `fuzz #${i} (${FIELDS.map((f) => `${f}:${sample[f].kind}`).join(' ')}, ${sample.auth})`;
    if (sample.auth !== 'key') {
      t.add({
        group: 'fuzz',
        name,
        request: {
          path: PATH,
          headers: t.jsonHeaders(sample.auth === 'none' ? null : `${t.key}-nope`),
          body,
        },
        status: 401,
        code: 'UNAUTHORIZED',
        authenticated: false,
      });
      return;
    }
    t.withOutcome('fuzz', name, body, o['event_id'] as string, fuzzOutcome(o, valid));
  });
}
