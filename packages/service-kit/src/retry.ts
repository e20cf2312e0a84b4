import pRetry from 'p-retry';

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Retries after the first attempt; default unlimited (bounded by `timeoutMs`). */
  retries?: number;
  /** Delay before the first retry, in ms. */
  minDelayMs: number;
  /** Largest delay between attempts, in ms. */
  maxDelayMs: number;
  /** Growth of the delay per attempt; default 2. */
  factor?: number;
  /** Jitter each delay (x1 to x2); default false. */
  randomize?: boolean;
  /** Stop retrying once this long has passed since the first attempt; the last error is thrown. */
  timeoutMs?: number;
  /** Stops the retries: the wait rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** False: throw this error at once. Default: retry every error. */
  shouldRetry?: (error: Error, attempt: number) => boolean;
  /** Called after each failed attempt that will be retried (e.g. to log it). */
  onRetry?: (error: Error, attempt: number) => void;
}

/**
 * Runs `operation` until it resolves, retrying failures with exponential backoff (p-retry).
 * Throws the last error when `shouldRetry` refuses, the retries or `timeoutMs` are used up,
 * and the signal's reason when `signal` aborts. The one retry loop of the services.
 */
export function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  return pRetry(operation, {
    retries: options.retries ?? Number.POSITIVE_INFINITY,
    minTimeout: options.minDelayMs,
    maxTimeout: options.maxDelayMs,
    factor: options.factor ?? 2,
    randomize: options.randomize ?? false,
    ...(options.timeoutMs === undefined ? {} : { maxRetryTime: options.timeoutMs }),
    signal: options.signal,
    shouldRetry: ({ error, attemptNumber }) => options.shouldRetry?.(error, attemptNumber) ?? true,
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0 && (options.shouldRetry?.(error, attemptNumber) ?? true)) {
        options.onRetry?.(error, attemptNumber);
      }
    },
  });
}

/** True for a kafkajs error that kafkajs marks retriable (e.g. UNKNOWN_TOPIC_OR_PARTITION). */
export function isRetriableKafkaError(error: unknown): boolean {
  return (error as { retriable?: unknown } | null)?.retriable === true;
}
