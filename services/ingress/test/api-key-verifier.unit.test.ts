import { describe, expect, it } from 'vitest';
import { createApiKeyVerifier } from '../src/api-key-verifier.js';

describe('createApiKeyVerifier', () => {
  const current = 'current-secret-0123456789';
  const next = 'next-secret-abcdefghijkl';
  const verify = createApiKeyVerifier([current, next]);

  it('accepts every configured key (rotation)', () => {
    expect(verify(current)).toBe(true);
    expect(verify(next)).toBe(true);
  });

  it('refuses other values, including prefixes, extensions and other lengths, without throwing', () => {
    for (const candidate of [
      'wrong',
      current.slice(0, -1),
      `${current}x`,
      current.toUpperCase(),
      'x'.repeat(10_000),
      '',
    ]) {
      expect(verify(candidate)).toBe(false);
    }
  });

  it('refuses a missing or repeated header', () => {
    expect(verify(undefined)).toBe(false);
    expect(verify([current, current])).toBe(false);
  });

  it('needs at least one non-empty key', () => {
    expect(() => createApiKeyVerifier([])).toThrow();
    expect(() => createApiKeyVerifier([''])).toThrow();
  });
});
