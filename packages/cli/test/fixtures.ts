import { appendAsIngress, type RawEvent } from '@novamed-stream/testkit';
import type { Kafka } from 'kafkajs';

export type { RawEvent } from '@novamed-stream/testkit';

/** Appends events as the ingress would (key, headers, raw JSON), in batches. */
export async function produce(
  kafka: Kafka,
  topic: string,
  events: readonly RawEvent[],
): Promise<void> {
  await appendAsIngress(
    kafka,
    topic,
    events.map((event) => ({ body: JSON.stringify(event), event })),
  );
}

/** Polls `check` until it is true, or fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
