import type { KafkaConnection } from './resolve-kafka-connection.js';

/** Why a Kafka client could not connect at boot (see {@link classifyKafkaConnectionError}). */
export type KafkaConnectionFailure =
  | { reason: 'SASL_REFUSED'; message: string }
  | { reason: 'TLS_UNTRUSTED'; message: string }
  | { reason: 'TLS_NAME_MISMATCH'; message: string }
  | { reason: 'TLS_CLIENT_CERT_REFUSED'; message: string }
  | { reason: 'TLS_NOT_SPOKEN'; message: string }
  | { reason: 'TLS_REQUIRED'; message: string }
  | { reason: 'UNREACHABLE'; message: string }
  | { reason: 'OTHER'; message: string };

/** Node's codes for a certificate chain that does not lead to a trusted CA. */
const UNTRUSTED_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

interface ErrorFacts {
  names: string[];
  codes: string[];
  messages: string[];
}

/** Names, codes and messages along the error's `cause` chain (kafkajs wraps retried errors). */
function factsOf(error: unknown): ErrorFacts {
  const facts: ErrorFacts = { names: [], codes: [], messages: [] };
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    facts.names.push(current.name);
    facts.messages.push(current.message);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') facts.codes.push(code);
    current = current.cause ?? (current as { originalError?: unknown }).originalError;
  }
  return facts;
}

/**
 * Turns the error of a failed boot-time connection into what the operator must fix, naming the
 * variable: a refused SASL password, a broker certificate the CA file does not verify, a TLS
 * client against a plain listener or the reverse. The message never holds a secret (kafkajs's
 * own text is only used for reasons it does not classify, and it never holds the password).
 */
export function classifyKafkaConnectionError(
  error: unknown,
  connection: KafkaConnection | undefined,
  brokers: readonly string[],
): KafkaConnectionFailure {
  const facts = factsOf(error);
  const where = brokers.join(',');
  const text = facts.messages.join(' | ');
  const ssl = connection?.ssl;
  const sasl = connection?.sasl;
  if (facts.names.includes('KafkaJSSASLAuthenticationError') && sasl) {
    return {
      reason: 'SASL_REFUSED',
      message: `${sasl.passwordVariable} was refused by the broker (SASL ${sasl.mechanism} as KAFKA_SASL_USERNAME): check the user and password`,
    };
  }
  if (facts.codes.some((code) => UNTRUSTED_CODES.has(code))) {
    return {
      reason: 'TLS_UNTRUSTED',
      message: ssl?.caVariable
        ? `${ssl.caVariable} does not verify the broker's certificate (${facts.codes.find((c) => UNTRUSTED_CODES.has(c))}) at ${where}`
        : `the broker's certificate at ${where} is not signed by a CA this system trusts: set KAFKA_SSL_CA_FILE`,
    };
  }
  if (facts.codes.includes('ERR_TLS_CERT_ALTNAME_INVALID')) {
    return {
      reason: 'TLS_NAME_MISMATCH',
      message: `the broker's certificate does not name the host in KAFKA_BROKERS (${where})`,
    };
  }
  if (facts.codes.some((code) => UNREACHABLE_CODES.has(code))) {
    return { reason: 'UNREACHABLE', message: `cannot reach KAFKA_BROKERS (${where}): ${text}` };
  }
  const dropped =
    facts.names.some((name) =>
      ['KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaBootTimeout'].includes(
        name,
      ),
    ) ||
    facts.codes.includes('ECONNRESET') ||
    /closed connection|timed? ?out|ECONNRESET|socket hang up/i.test(text);
  // The broker's TLS alert when mutual TLS is required and no (or an unknown) certificate came.
  if (
    ssl &&
    /alert (bad certificate|certificate required|unknown ca|certificate unknown)/i.test(text)
  ) {
    return {
      reason: 'TLS_CLIENT_CERT_REFUSED',
      message: ssl.cert
        ? `the broker at ${where} refused the client certificate of KAFKA_SSL_CERT_FILE (not signed by a CA it trusts)`
        : `the broker at ${where} requires a client certificate (mutual TLS): set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE`,
    };
  }
  if (ssl && (facts.codes.includes('EPROTO') || /wrong version number|ssl|tls/i.test(text))) {
    return {
      reason: 'TLS_NOT_SPOKEN',
      message: `KAFKA_SSL: the broker at ${where} does not speak TLS on that port (${text})`,
    };
  }
  if (!ssl && dropped) {
    return {
      reason: 'TLS_REQUIRED',
      message: `the broker at ${where} dropped or ignored a plain-text connection: if its listener uses TLS set KAFKA_SSL=true (and KAFKA_SSL_CA_FILE); if it uses SASL set KAFKA_SASL_MECHANISM`,
    };
  }
  if (ssl && dropped) {
    return {
      reason: 'TLS_NOT_SPOKEN',
      message: `KAFKA_SSL: the broker at ${where} closed or ignored the TLS connection (${text})`,
    };
  }
  return { reason: 'OTHER', message: `cannot connect to KAFKA_BROKERS (${where}): ${text}` };
}

/**
 * Whether a boot-time failure is a wrong setting (stop now, naming the variable) rather than a
 * broker that is not up yet (`UNREACHABLE`, or an unclassified error), which a service keeps
 * waiting for as before.
 */
export function isSettingFailure(failure: KafkaConnectionFailure): boolean {
  switch (failure.reason) {
    case 'SASL_REFUSED':
    case 'TLS_UNTRUSTED':
    case 'TLS_NAME_MISMATCH':
    case 'TLS_CLIENT_CERT_REFUSED':
    case 'TLS_NOT_SPOKEN':
    case 'TLS_REQUIRED':
      return true;
    case 'UNREACHABLE':
    case 'OTHER':
      return false;
    default: {
      const unreachable: never = failure;
      throw new Error(`unknown failure ${JSON.stringify(unreachable)}`);
    }
  }
}
