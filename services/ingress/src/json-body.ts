import { checkIJson, type IJsonRule } from '@novamed-stream/events';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

/** Outcome of {@link parseJsonBody}. The failure carries no part of the input. */
export type JsonBodyResult =
  | { ok: true; value: unknown }
  /** `detail` is value-free: where (JSON path, byte offset) or which special case. */
  | { ok: false; code: IJsonRule; detail: string }
  | { ok: false; code: 'FORBIDDEN_JSON_KEY'; detail: '' };

const SECURE = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * Parses a raw request body as JSON of the topic's I-JSON profile (`checkIJson`: UTF-8, no lone
 * surrogates, no duplicate member names, numbers a double holds, bounded nesting), refusing
 * prototype-poisoning keys (`__proto__`, `constructor.prototype`) too. Never throws, and never
 * returns the parser's message: Node's `JSON.parse` errors quote the input, which may be PHI.
 */
export function parseJsonBody(raw: Buffer): JsonBodyResult {
  if (raw.length === 0) return { ok: false, code: 'INVALID_JSON', detail: '(empty body)' };
  // secure-json-parse skips a leading byte order mark, but the stored bytes are decoded later
  // with plain JSON.parse (`decodeEvent`), which refuses it: a 200 here would store an event no
  // consumer can read. RFC 8259 forbids senders to add one; refuse it like any other non-JSON.
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) {
    return { ok: false, code: 'INVALID_JSON', detail: '(byte order mark)' };
  }
  // Before JSON.parse: it would silently take the last of two equal names, turn bad UTF-8 and
  // lone surrogates into U+FFFD, round big integers, and recurse into any nesting.
  const checked = checkIJson(raw);
  if (!checked.ok) {
    const where = checked.path === '$' ? '' : `${checked.path}, `;
    return { ok: false, code: checked.rule, detail: `(at ${where}byte ${checked.position})` };
  }
  const text = raw.toString('utf8');
  try {
    return { ok: true, value: secureJson.parse(text, null, SECURE) };
  } catch {
    // checkIJson accepted the syntax, so this is secure-json-parse refusing a forbidden key.
    return { ok: false, code: 'FORBIDDEN_JSON_KEY', detail: '' };
  }
}

/** `application/json` and `application/<anything>+json`, parameters allowed. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w!#$&^.-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/** True for a JSON media type whose charset, if given, is UTF-8 (RFC 8259 allows no other). */
export function isJsonContentType(contentType: string): boolean {
  if (!JSON_MEDIA_TYPE.test(contentType)) return false;
  const charset = CHARSET.exec(contentType)?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

/** The error Fastify itself raises for an unsupported media type (mapped to 415). */
class UnsupportedCharsetError extends Error {
  readonly code = 'FST_ERR_CTP_INVALID_MEDIA_TYPE';
  readonly statusCode = 415;
}

/**
 * Replaces the content-type parsers of `app`'s scope with one that keeps JSON bodies as the raw
 * `Buffer` (so the exact bytes can be stored) and refuses everything else with Fastify's
 * `FST_ERR_CTP_INVALID_MEDIA_TYPE` (-> 415), as well as a JSON type with a non-UTF-8 charset.
 * Parsing happens in the route with {@link parseJsonBody}, where a failure can be quarantined.
 */
export function registerRawJsonBodyParser(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    JSON_MEDIA_TYPE,
    { parseAs: 'buffer', bodyLimit },
    (request, body, done) => {
      if (isJsonContentType(request.headers['content-type'] ?? '')) done(null, body);
      else done(new UnsupportedCharsetError('unsupported charset'), undefined);
    },
  );
}
