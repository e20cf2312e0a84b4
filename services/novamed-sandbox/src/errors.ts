import { type Static, Type } from '@sinclair/typebox';

/**
 * Every error the sandbox answers with: code -> HTTP status and a fixed message. Messages never
 * echo request values. Documented in README.md; keep both in step.
 */
export const ERRORS = {
  UNAUTHORIZED: { status: 401, message: 'A valid x-api-key header is required.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'The body must be JSON (Content-Type: application/json).',
  },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The body is larger than the limit.' },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON.' },
  INVALID_REQUEST: { status: 400, message: 'The request is invalid.' },
  INVALID_WEBHOOK_URL: {
    status: 400,
    message: 'webhook_url must be an absolute http(s) URL without user name or password.',
  },
  HTTPS_REQUIRED: { status: 400, message: 'webhook_url must use HTTPS.' },
  NOT_FOUND: { status: 404, message: 'No such route.' },
  WEBHOOK_NOT_FOUND: {
    status: 404,
    message: 'No webhook with this webhook_id is registered for this clinic_id.',
  },
  WEBHOOK_ALREADY_REGISTERED: {
    status: 409,
    message: 'This webhook_url is already registered for this clinic_id.',
  },
  WEBHOOK_LIMIT_REACHED: {
    status: 409,
    message: 'This clinic has registered the most webhooks allowed; delete one first.',
  },
  NO_WEBHOOKS_REGISTERED: {
    status: 409,
    message: 'Every clinic of a generation run needs a registered webhook first.',
  },
  GENERATION_RUNNING: {
    status: 409,
    message: 'A generation run is in progress; stop it first.',
  },
  SANDBOX_BUSY: {
    status: 409,
    message: 'Generation is running or deliveries are pending; stop it and wait first.',
  },
  INTERNAL_ERROR: { status: 500, message: 'Internal error.' },
} as const satisfies Record<string, { status: number; message: string }>;

/** One of the codes in {@link ERRORS}. */
export type ErrorCode = keyof typeof ERRORS;

/** The body of every error answer: the guide's `success`/`message` shape plus a stable code. */
export const ErrorBodySchema = Type.Object({
  success: Type.Literal(false),
  message: Type.String(),
  error: Type.Object({
    code: Type.String({ description: 'stable, machine-readable code (see README)' }),
    message: Type.String(),
  }),
});

/** The type of {@link ErrorBodySchema}. */
export type ErrorBody = Static<typeof ErrorBodySchema>;

/** The body for `code`; `detail` (value-free: a field name and a rule) is appended. */
export function errorBody(code: ErrorCode, detail?: string): ErrorBody {
  const message = detail ? `${ERRORS[code].message} ${detail}` : ERRORS[code].message;
  return { success: false, message, error: { code, message } };
}

/** The part of a Fastify reply {@link replyWithError} uses. */
export interface ErrorReply {
  code(statusCode: number): ErrorReply;
  send(payload: ErrorBody): unknown;
}

/** Sends the registry error `code`. */
export function replyWithError<R extends ErrorReply>(
  reply: R,
  code: ErrorCode,
  detail?: string,
): R {
  reply.code(ERRORS[code].status);
  reply.send(errorBody(code, detail));
  return reply;
}

/** A Fastify schema validation error, as much of it as {@link describeValidation} reads. */
export interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * A value-free description of the first validation issue: the field and the rule, e.g.
 * `clinic_id: must match pattern ...` or `webhook_url: is required`.
 */
export function describeValidation(
  context: string | undefined,
  issues: readonly ValidationIssue[],
): string {
  const first = issues[0];
  if (first === undefined) return '';
  const missing = first.params?.['missingProperty'];
  const path = (first.instancePath ?? '').split('/').filter(Boolean).join('.');
  if (typeof missing === 'string') {
    return `${path ? `${path}.` : ''}${missing} is required.`;
  }
  const extra = first.params?.['additionalProperty'];
  if (typeof extra === 'string') return `${path ? `${path}.` : ''}${extra} is not a known field.`;
  return `${path || context || 'body'} ${first.message ?? 'is invalid'}.`;
}

/** Maps an error thrown inside Fastify to a registry code. */
export function codeForError(error: {
  code?: unknown;
  statusCode?: unknown;
  validation?: unknown;
}): ErrorCode {
  if (error.validation !== undefined) return 'INVALID_REQUEST';
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'PAYLOAD_TOO_LARGE';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'INVALID_JSON';
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status >= 400 && status < 500) return 'INVALID_REQUEST';
  return 'INTERNAL_ERROR';
}
