import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import { KafkaConnectionEnv } from './kafka-connection-env.js';

const KafkaConnectionSchema = Type.Object(KafkaConnectionEnv);

/** The validated values of {@link KafkaConnectionEnv} (any service schema that spreads it). */
export type KafkaConnectionSettings = Static<typeof KafkaConnectionSchema>;

/** A SASL mechanism kafkajs supports out of the box. */
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/**
 * How a Kafka client secures its connections, with the files already read. `createKafka` passes
 * it to kafkajs; the `…Variable` fields say which variable to name when the broker refuses it.
 */
export interface KafkaConnection {
  /** TLS with the server-name check on; no `ca` means the system's trusted CAs. */
  ssl?: { ca?: string; cert?: string; key?: string; caVariable?: 'KAFKA_SSL_CA_FILE' };
  sasl?: {
    mechanism: SaslMechanism;
    username: string;
    password: string;
    passwordVariable: 'KAFKA_SASL_PASSWORD' | 'KAFKA_SASL_PASSWORD_FILE';
  };
}

/** Outcome of {@link resolveKafkaConnection}: errors name the variable, never a value. */
export type KafkaConnectionResult =
  | { ok: true; connection: KafkaConnection }
  | { ok: false; errors: string[] };

/** Reads a file as text; throws a Node error (with `code`) when it cannot. */
export type ReadTextFile = (path: string) => string;

const readText: ReadTextFile = (path) => readFileSync(path, 'utf8');

/**
 * Checks the combinations of the secured-connection variables and reads their files (CA,
 * client certificate and key, password file): a service calls it at boot, so a missing file
 * stops it at once with a message naming the variable. A password file's trailing newline is
 * dropped (secrets are often written with one).
 */
export function resolveKafkaConnection(
  settings: KafkaConnectionSettings,
  readFile: ReadTextFile = readText,
): KafkaConnectionResult {
  const errors: string[] = [];
  const read = (variable: string, path: string): string | undefined => {
    try {
      return readFile(path);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      errors.push(
        `${variable}: cannot read ${path} (${typeof code === 'string' ? code : 'error'})`,
      );
      return undefined;
    }
  };
  const s = settings;
  if ((s.KAFKA_SSL_CERT_FILE === undefined) !== (s.KAFKA_SSL_KEY_FILE === undefined)) {
    errors.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE must be set together');
  }
  const sslOn =
    s.KAFKA_SSL || s.KAFKA_SSL_CA_FILE !== undefined || s.KAFKA_SSL_CERT_FILE !== undefined;
  let ssl: KafkaConnection['ssl'];
  if (sslOn) {
    ssl = {};
    if (s.KAFKA_SSL_CA_FILE !== undefined) {
      const ca = read('KAFKA_SSL_CA_FILE', s.KAFKA_SSL_CA_FILE);
      if (ca !== undefined) ssl = { ...ssl, ca, caVariable: 'KAFKA_SSL_CA_FILE' };
    }
    if (s.KAFKA_SSL_CERT_FILE !== undefined && s.KAFKA_SSL_KEY_FILE !== undefined) {
      const cert = read('KAFKA_SSL_CERT_FILE', s.KAFKA_SSL_CERT_FILE);
      const key = read('KAFKA_SSL_KEY_FILE', s.KAFKA_SSL_KEY_FILE);
      if (cert !== undefined && key !== undefined) ssl = { ...ssl, cert, key };
    }
  }

  let sasl: KafkaConnection['sasl'];
  const hasPassword = s.KAFKA_SASL_PASSWORD !== undefined;
  const hasPasswordFile = s.KAFKA_SASL_PASSWORD_FILE !== undefined;
  if (s.KAFKA_SASL_MECHANISM === undefined) {
    if (s.KAFKA_SASL_USERNAME !== undefined || hasPassword || hasPasswordFile) {
      errors.push(
        'KAFKA_SASL_MECHANISM is required with KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD (plain, scram-sha-256 or scram-sha-512)',
      );
    }
  } else {
    if (s.KAFKA_SASL_USERNAME === undefined) {
      errors.push('KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM');
    }
    if (hasPassword === hasPasswordFile) {
      errors.push(
        'exactly one of KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM',
      );
    }
    const password =
      s.KAFKA_SASL_PASSWORD ??
      (s.KAFKA_SASL_PASSWORD_FILE === undefined
        ? undefined
        : read('KAFKA_SASL_PASSWORD_FILE', s.KAFKA_SASL_PASSWORD_FILE)?.replace(/\r?\n$/, ''));
    if (hasPasswordFile && !hasPassword && password === '') {
      errors.push('KAFKA_SASL_PASSWORD_FILE: the file is empty');
    }
    if (s.KAFKA_SASL_USERNAME !== undefined && password !== undefined && password !== '') {
      sasl = {
        mechanism: s.KAFKA_SASL_MECHANISM,
        username: s.KAFKA_SASL_USERNAME,
        password,
        passwordVariable: hasPassword ? 'KAFKA_SASL_PASSWORD' : 'KAFKA_SASL_PASSWORD_FILE',
      };
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, connection: { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) } };
}
