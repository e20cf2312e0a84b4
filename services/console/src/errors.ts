/**
 * Every error the console's API answers with: code -> HTTP status and a fixed message (never
 * request data). Documented in docs/console.md.
 */
export const ERRORS = {
  UNAUTHORIZED: { status: 401, message: 'Sign in with a console key (or send x-console-key).' },
  BAD_REQUEST: { status: 400, message: 'The request does not match the API.' },
  NOT_FOUND: { status: 404, message: 'Nothing with that id in the read models.' },
  UNAVAILABLE: {
    status: 503,
    message: 'Postgres or Kafka cannot be read right now; try again shortly.',
  },
  INTERNAL: { status: 500, message: 'Unexpected error; the console log has the details.' },
} as const;

/** A console error code. */
export type ErrorCode = keyof typeof ERRORS;

/** The JSON body of an error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** The body for `code`. */
export function errorBody(code: ErrorCode): ErrorBody {
  return { error: { code, message: ERRORS[code].message } };
}
