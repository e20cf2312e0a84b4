import { readFileSync } from 'node:fs';

const FILES = {
  orderShipped: 'order-shipped',
  medicationRequestApproved: 'medication-request-approved',
} as const;

/** Names of the two payloads NovaMed's guide shows in full. */
export type GuideSampleName = keyof typeof FILES;

/**
 * One of the two payloads NovaMed's guide shows in full, byte for byte as the guide prints
 * them (pretty-printed JSON). Tests, benchmarks and the sandbox use these.
 */
export function guideSample(name: GuideSampleName): Buffer {
  return readFileSync(new URL(`../test/fixtures/${FILES[name]}.json`, import.meta.url));
}
