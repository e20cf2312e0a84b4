import { createHash } from 'node:crypto';
import type { RawRequest } from '../../harness/hostile-http.js';
import { atScale } from '../../harness/scale.js';

/** Fuzz cases (fast-check runs): 300 in the quick run, 2000 in the full one. */
export const FUZZ_RUNS = atScale(300, 2000);
/** The seed of the fuzz cases and of the sending order. */
export const FUZZ_SEED = 20_261_128;
/** The ingress's BODY_LIMIT_BYTES in this scenario. */
export const BODY_LIMIT = 128 * 1024;
/** The webhook route. */
export const PATH = '/webhooks/novamed';
/** The deepest nesting the ingress stores, the envelope counting 1 (services/ingress/README.md). */
export const MAX_DEPTH = 32;
/** The longest identifying field (event_id, clinic_id, data ids...) it stores, in UTF-8 bytes. */
export const IDENTIFIER_MAX_BYTES = 256;

/**
 * The 400 codes after which the ingress puts the body on the quarantine topic
 * (services/ingress/README.md): plain JSON syntax, the topic's I-JSON profile, prototype keys,
 * the envelope, then control characters in and the length of the identifying fields.
 */
const QUARANTINED_CODES = [
  'INVALID_JSON',
  'INVALID_UTF8',
  'LONE_SURROGATE',
  'DUPLICATE_MEMBER',
  'NESTING_TOO_DEEP',
  'NUMBER_OUT_OF_RANGE',
  'MEMBER_NAME_TOO_LONG',
  'FORBIDDEN_JSON_KEY',
  'INVALID_ENVELOPE',
  'CONTROL_CHARACTER',
  'IDENTIFIER_TOO_LONG',
] as const;
export type QuarantinedCode = (typeof QUARANTINED_CODES)[number];
export const QUARANTINED = new Set<string>(QUARANTINED_CODES);

/** The groups of cases, in the order they are built; each gets its own `it`. */
export const GROUPS = [
  'control',
  'api key',
  'content type',
  'invalid JSON',
  'invalid UTF-8',
  'deep nesting',
  'prototype keys',
  'oversized',
  'envelope',
  'data fields',
  'routes',
  'malformed HTTP',
  'fuzz',
] as const;
export type Group = (typeof GROUPS)[number];

/** One hostile (or control) request and the answer the contract requires. */
export interface Case {
  name: string;
  group: Group;
  request: RawRequest;
  status: number;
  /** The error code of the answer; undefined for 200 and for answers of Node's HTTP parser. */
  code: string | undefined;
  authenticated: boolean;
  /** For an expected 200: the event id that must then be on the main topic. */
  acceptedEventId?: string;
}

/** What a case expects of a body sent with the right key: stored (200), or this 400. */
export type Outcome = 'stored' | QuarantinedCode;

export type Json = Record<string, unknown>;

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const text = (s: string) => Buffer.from(s, 'utf8');
export const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? text(p) : Buffer.from(p))));
/** The event id as it comes back from a Kafka header (UTF-8; lone surrogates become U+FFFD). */
export const headerForm = (id: string) => Buffer.from(id, 'utf8').toString('utf8');
/** `depth` arrays, one inside the other: `[[...]]`. */
export const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
/** `depth` objects, one inside the other, around a 1: `{"a":{"a":...1}}`. */
export const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
