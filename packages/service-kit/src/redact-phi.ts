import { PHI_FIELDS } from '@novamed-stream/events';

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

const PHI = new Set<string>(PHI_FIELDS);

/** How deep {@link redactPhi} looks: the deeper of the two loggers it replaced (ingress 8, sandbox 6). */
export const REDACT_MAX_DEPTH = 8;

/**
 * Returns `value` with every property named like a PHI field (`PHI_FIELDS` of the events
 * package) replaced by {@link REDACTED}, at any depth up to {@link REDACT_MAX_DEPTH} of plain
 * objects and arrays. The input is never mutated; it is returned as is when nothing needed
 * redacting. Class instances (errors, requests) are left to their serializers.
 *
 * Why not pino's wildcard `redact` paths: covering 18 field names four levels deep takes ~100
 * paths and costs ~150 µs per log line (30 µs at one level); this walk costs ~1 µs.
 */
export function redactPhi<T>(value: T, depth = 0): T {
  if (typeof value !== 'object' || value === null || depth > REDACT_MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const cleaned = redactPhi(item, depth + 1);
      if (cleaned !== item) {
        copy ??= value.slice();
        copy[i] = cleaned;
      }
    }
    return (copy ?? value) as T;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const cleaned = PHI.has(key) ? REDACTED : redactPhi(item, depth + 1);
    if (cleaned !== item) {
      copy ??= { ...record };
      copy[key] = cleaned;
    }
  }
  return (copy ?? value) as T;
}

const SECRET_HEADERS = ['["x-api-key"]', '.authorization', '.cookie'];

/**
 * pino `redact` paths: the webhook key, authorization and cookie headers wherever a request or
 * its headers are logged.
 */
export function redactPaths(): string[] {
  return SECRET_HEADERS.flatMap((member) => [
    `req.headers${member}`,
    `request.headers${member}`,
    `headers${member}`,
  ]);
}
