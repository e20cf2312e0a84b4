/** Where a command writes: a stream with, on a terminal, `isTTY` and `columns`. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Everything a command may touch of its process, so tests can run commands in-process. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** The environment (KAFKA_BROKERS, DATABASE_URL, NOVAMED_API_KEY, ...). */
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C: long commands stop cleanly. */
  signal: AbortSignal;
  /** The stack file to read connection settings from; default `.novamed-stream/stack.json`. */
  stackFile?: string;
}
