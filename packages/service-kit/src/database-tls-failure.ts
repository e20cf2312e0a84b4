/** Node's codes for a server certificate that does not chain to the trusted CA. */
const UNTRUSTED_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
]);

/**
 * The variable to fix when connecting to Postgres failed on TLS, in words, or undefined for
 * any other error: an untrusted certificate (DATABASE_CA_FILE), a host name the certificate
 * does not hold (DATABASE_URL), or a server without TLS (`sslmode` in DATABASE_URL).
 */
export function databaseTlsFailure(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNTRUSTED_CODES.has(code)) {
      return `DATABASE_CA_FILE does not verify the Postgres server's certificate (${code})`;
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return "the Postgres server's certificate does not name the host in DATABASE_URL";
    }
    if (/does not support SSL connections/i.test(current.message)) {
      return 'the Postgres server does not support TLS: check sslmode in DATABASE_URL';
    }
    current = current.cause;
  }
  return undefined;
}
