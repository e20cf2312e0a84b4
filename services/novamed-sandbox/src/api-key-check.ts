import { createHash, timingSafeEqual } from 'node:crypto';

/** Checks a presented `x-api-key` header value. */
export type ApiKeyCheck = (presented: string | string[] | undefined) => boolean;

/**
 * A constant-time check against the partner API key(s): both sides are reduced to SHA-256
 * digests (same length whatever the input) and compared with `timingSafeEqual`, every key on
 * every call.
 */
export function createApiKeyCheck(keys: readonly string[]): ApiKeyCheck {
  if (keys.length === 0 || keys.some((key) => key.length === 0)) {
    throw new Error('at least one non-empty API key is required');
  }
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  const expected = keys.map(digest);
  return (presented) => {
    if (typeof presented !== 'string' || presented.length === 0) return false;
    const candidate = digest(presented);
    let match = false;
    for (const key of expected) match = timingSafeEqual(candidate, key) || match;
    return match;
  };
}
