import { createHash, timingSafeEqual } from 'node:crypto';

/** Checks a presented console key against the configured keys. */
export type ConsoleKeyVerifier = (presented: unknown) => boolean;

/**
 * A constant-time verifier for a set of console keys, with the webhook key's rules
 * (services/ingress/src/api-key-verifier.ts): several keys are valid at once so they can
 * rotate; both sides are reduced to SHA-256 digests before `timingSafeEqual` (equal lengths, so
 * a key's length does not leak), and every configured key is compared on every call.
 */
export function createConsoleKeyVerifier(keys: readonly string[]): ConsoleKeyVerifier {
  if (keys.length === 0) throw new Error('at least one console key is required');
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  const expected = keys.map((key) => {
    if (key.length === 0) throw new Error('console keys must not be empty');
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
