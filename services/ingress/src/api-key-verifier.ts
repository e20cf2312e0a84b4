import { createKeyVerifier, type KeyVerifier } from '@novamed-stream/service-kit';

/** Checks a presented `x-api-key` value against the configured keys. */
export type ApiKeyVerifier = KeyVerifier;

/** The webhook keys' verifier: the kit's constant-time {@link createKeyVerifier}. */
export function createApiKeyVerifier(keys: readonly string[]): ApiKeyVerifier {
  return createKeyVerifier(keys, 'API key');
}
