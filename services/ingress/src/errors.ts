import {
  I_JSON_MAX_DEPTH,
  I_JSON_MAX_NAME_BYTES,
  IDENTIFIER_MAX_BYTES,
} from '@novamed-stream/events';
import { type Static, Type } from '@sinclair/typebox';

/**
 * Every error the ingress answers with: code -> HTTP status and a fixed message. Messages never
 * contain request data (a JSON parse error quotes the body, and the body is PHI).
 * Documented in `services/ingress/README.md`; keep both in step.
 */
export const ERRORS = {
  UNAUTHORIZED: { status: 401, message: 'A valid x-api-key header is required.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'The body must be JSON (Content-Type: application/json, UTF-8).',
  },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The body is larger than the limit.' },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON.' },
  // The topic's I-JSON profile (docs/topic-contract.md): JSON every parser reads the same way.
  INVALID_UTF8: {
    status: 400,
    message: 'The body is not well-formed UTF-8 (I-JSON, RFC 7493).',
  },
  LONE_SURROGATE: {
    status: 400,
    message:
      'A string in the body holds an escaped UTF-16 surrogate without its pair (I-JSON, RFC 7493).',
  },
  DUPLICATE_MEMBER: {
    status: 400,
    message:
      'An object in the body repeats a member name; parsers disagree on which one wins (I-JSON, RFC 7493).',
  },
  NESTING_TOO_DEEP: {
    status: 400,
    message: `The body nests arrays and objects deeper than ${I_JSON_MAX_DEPTH} levels.`,
  },
  NUMBER_OUT_OF_RANGE: {
    status: 400,
    message:
      'A number in the body is outside what an IEEE 754 double holds: an integer beyond ' +
      '±(2^53-1), a literal over 100 characters, or a magnitude that overflows or rounds to 0 ' +
      '(I-JSON, RFC 7493).',
  },
  MEMBER_NAME_TOO_LONG: {
    status: 400,
    message: `A member name in the body is longer than ${I_JSON_MAX_NAME_BYTES} bytes.`,
  },
  FORBIDDEN_JSON_KEY: {
    status: 400,
    message: 'The body contains a forbidden key (__proto__ or constructor.prototype).',
  },
  INVALID_ENVELOPE: { status: 400, message: 'The body is not a valid event envelope.' },
  CONTROL_CHARACTER: {
    status: 400,
    message:
      'An identifying field (event_id, event_type, clinic_id, data.order_id, ' +
      'data.medication_request_id, data.refill_id) holds a control character (U+0000-U+001F, U+007F).',
  },
  IDENTIFIER_TOO_LONG: {
    status: 400,
    message: `An identifying field (event_id, event_type, clinic_id, data.order_id, data.medication_request_id, data.refill_id) is longer than ${IDENTIFIER_MAX_BYTES} bytes.`,
  },
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  NOT_FOUND: { status: 404, message: 'No such route.' },
  APPEND_TIMEOUT: {
    status: 503,
    message: 'The event could not be stored in time; it was not acknowledged. Retry later.',
  },
  BROKER_UNAVAILABLE: {
    status: 503,
    message: 'The event store is unavailable; the event was not acknowledged. Retry later.',
  },
  NOT_ENOUGH_REPLICAS: {
    status: 503,
    message: 'The event store has too few in-sync replicas; the event was not acknowledged.',
  },
  OVERLOADED: { status: 503, message: 'The ingress is overloaded. Retry later.' },
  SHUTTING_DOWN: { status: 503, message: 'The ingress is shutting down. Retry later.' },
  NOT_READY: { status: 503, message: 'The ingress is not ready.' },
  INTERNAL_ERROR: { status: 500, message: 'Internal error.' },
} as const satisfies Record<string, { status: number; message: string }>;

/** One of the codes in {@link ERRORS}. */
export type ErrorCode = keyof typeof ERRORS;

/** The JSON body of every error response. */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable, machine-readable code (see README)' }),
      message: Type.String({ description: 'human-readable; never echoes the request' }),
    }),
  },
  { description: 'Error body shared by every non-2xx response' },
);

/** The type of {@link ErrorBodySchema}. */
export type ErrorBody = Static<typeof ErrorBodySchema>;

/** Codes after which the sender should retry; their responses carry `Retry-After`. */
export function isRetryable(code: ErrorCode): boolean {
  return ERRORS[code].status === 503;
}

/**
 * The response body for `code`. `detail` is appended to the registry message; pass only
 * value-free text (e.g. the field name from `parseEnvelope`), never request content.
 */
export function errorBody(code: ErrorCode, detail?: string): ErrorBody {
  const base = ERRORS[code].message;
  return { error: { code, message: detail ? `${base} ${detail}` : base } };
}

/**
 * Maps an error thrown inside Fastify (its own `FST_*` errors, a plugin's error, anything) to
 * a registry code. Unknown 4xx become `BAD_REQUEST`, everything else `INTERNAL_ERROR`.
 */
export function codeForError(error: { code?: unknown; statusCode?: unknown }): ErrorCode {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'PAYLOAD_TOO_LARGE';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'INVALID_JSON';
    case 'FST_ERR_NOT_FOUND':
      return 'NOT_FOUND';
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 503) return 'OVERLOADED';
  if (status >= 400 && status < 500) return 'BAD_REQUEST';
  return 'INTERNAL_ERROR';
}

/** The part of a Fastify reply {@link replyWithError} uses. */
export interface ErrorReply {
  code(statusCode: number): ErrorReply;
  header(name: string, value: string): ErrorReply;
  send(payload: ErrorBody): unknown;
}

/**
 * Sends the registry error `code`: its status, `{ error: { code, message } }`, and
 * `Retry-After` for the retryable (503) codes.
 */
export function replyWithError<R extends ErrorReply>(
  reply: R,
  code: ErrorCode,
  options: { retryAfterSeconds: number; detail?: string },
): R {
  reply.code(ERRORS[code].status);
  if (isRetryable(code)) reply.header('retry-after', String(options.retryAfterSeconds));
  reply.send(errorBody(code, options.detail));
  return reply;
}
