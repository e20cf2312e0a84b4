/**
 * An expected failure of the local stack (a missing tool, a taken port, a server that would not
 * start). `message` says what went wrong, `hint` says what to do about it; entry points print
 * both without a stack trace.
 */
export class DevstackError extends Error {
  /** What the user can do to fix it, in one or two sentences. */
  readonly hint: string;

  constructor(message: string, options: { hint: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DevstackError';
    this.hint = options.hint;
  }
}

/** True when `error` is a {@link DevstackError} (also across module copies). */
export function isDevstackError(error: unknown): error is DevstackError {
  return (
    error instanceof DevstackError ||
    (error instanceof Error && error.name === 'DevstackError' && 'hint' in error)
  );
}
