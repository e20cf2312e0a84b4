import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

/** Outcome of {@link parseJsonBody}. The failure carries no part of the input. */
export type JsonBodyResult =
  | { ok: true; value: unknown }
  | { ok: false; code: 'INVALID_JSON'; detail: string }
  | { ok: false; code: 'FORBIDDEN_JSON_KEY' };

const SECURE = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * Parses a raw request body as UTF-8 JSON, refusing prototype-poisoning keys (`__proto__`,
 * `constructor.prototype`). Never throws, and never returns the parser's message: Node's
 * `JSON.parse` errors quote the input, which may be PHI.
 */
export function parseJsonBody(raw: Buffer): JsonBodyResult {
  if (raw.length === 0) return { ok: false, code: 'INVALID_JSON', detail: '(empty body)' };
  if (!isUtf8(raw)) return { ok: false, code: 'INVALID_JSON', detail: '(not UTF-8)' };
  // secure-json-parse skips a leading byte order mark, but the stored bytes are decoded later
  // with plain JSON.parse (`decodeEvent`), which refuses it: a 200 here would store an event no
  // consumer can read. RFC 8259 forbids senders to add one; refuse it like any other non-JSON.
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) {
    return { ok: false, code: 'INVALID_JSON', detail: '(byte order mark)' };
  }
  const text = raw.toString('utf8');
  try {
    return { ok: true, value: secureJson.parse(text, null, SECURE) };
  } catch {
    // secure-json-parse throws a SyntaxError for both cases; only on this (rare) path, tell
    // them apart by whether plain JSON.parse accepts the text.
    try {
      JSON.parse(text);
      return { ok: false, code: 'FORBIDDEN_JSON_KEY' };
    } catch {
      return { ok: false, code: 'INVALID_JSON', detail: '' };
    }
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
