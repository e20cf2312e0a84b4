/**
 * NovaMed's documented retry policy: attempt 1 at once, then attempts 2 to 5 after 1 min,
 * 5 min, 15 min and 1 h (each delay counted from the failed attempt before it); after the
 * fifth failure the delivery is marked failed.
 */
export const RETRY_DELAYS_MS: readonly number[] = [60_000, 300_000, 900_000, 3_600_000];

/** How long to wait after failed attempt `attempt` (1-based), or undefined when it was the last. */
export function retryDelayMs(
  attempt: number,
  timeScale: number,
  delays: readonly number[] = RETRY_DELAYS_MS,
): number | undefined {
  const delay = delays[attempt - 1];
  return delay === undefined ? undefined : Math.round(delay * timeScale);
}
