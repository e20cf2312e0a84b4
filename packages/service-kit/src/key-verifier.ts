import { createHash, timingSafeEqual } from 'node:crypto';

/** Checks a presented key (a header value, a form field) against the configured keys. */
export type KeyVerifier = (presented: unknown) => boolean;

/**
 * Builds a constant-time verifier for a set of keys (several are valid at once so secrets can
 * rotate): the webhook's `x-api-key` and the console's key follow the same rules. Both sides are
 * reduced to SHA-256 digests before `timingSafeEqual`, so the comparison always has the same
 * length (a key of another length never throws, and its length does not leak), and every
 * configured key is compared on every call. (SHA-256 rather than an HMAC: equally fixed-length,
 * and it costs a third less per request.) `label` names the keys in errors, e.g. `API key`.
 */
export function createKeyVerifier(keys: readonly string[], label: string): KeyVerifier {
  if (keys.length === 0) throw new Error(`at least one ${label} is required`);
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  const expected = keys.map((key) => {
    if (key.length === 0) throw new Error(`${label}s must not be empty`);
    return digest(key);
  });
  return (presented) => {
    if (typeof presented !== 'string' || presented.length === 0) return false;
    const candidate = digest(presented);
    let match = false;
    for (const key of expected) {
      // No early exit: the time taken does not depend on which key matched.
      match = timingSafeEqual(candidate, key) || match;
    }
    return match;
  };
}
