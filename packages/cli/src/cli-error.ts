/**
 * An expected failure of a command: what went wrong (`message`) and what to do about it
 * (`hint`). The CLI prints both (or a JSON error with `--json`) and exits with `exitCode`,
 * without a stack trace.
 */
export class CliError extends Error {
  /** Stable, machine-readable code, e.g. `NO_BROKERS`. */
  readonly code: string;
  /** What the user can do about it. */
  readonly hint: string;
  /** 1: the operation failed or was refused; 2: the command line is wrong. */
  readonly exitCode: 1 | 2;

  constructor(
    code: string,
    message: string,
    options: { hint: string; exitCode?: 1 | 2; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A usage error (exit code 2): a missing or malformed argument. */
export function usageError(message: string, hint: string): CliError {
  return new CliError('USAGE', message, { hint, exitCode: 2 });
}
