import { createKeyVerifier, type KeyVerifier } from '@novamed-stream/service-kit';

/** Checks a presented console key against the configured keys. */
export type ConsoleKeyVerifier = KeyVerifier;

/** The console keys' verifier: the webhook key's rules, from the kit's {@link createKeyVerifier}. */
export function createConsoleKeyVerifier(keys: readonly string[]): ConsoleKeyVerifier {
  return createKeyVerifier(keys, 'console key');
}
