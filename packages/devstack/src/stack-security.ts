import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KafkaConnection } from '@novamed-stream/service-kit';
import { type GeneratedCertificates, generateCertificates } from './generate-certificates.js';

/** How the local stack's servers take connections (DEVSTACK_SECURITY). */
export const STACK_SECURITY_KINDS = ['plaintext', 'sasl_ssl'] as const;

/** One of {@link STACK_SECURITY_KINDS}. */
export type StackSecurityKind = (typeof STACK_SECURITY_KINDS)[number];

/**
 * What a client needs to reach the local stack. `plaintext`: nothing. `sasl_ssl`: Kafka's client
 * listener is SASL_SSL (a CA of this run signs the broker's certificate; one SCRAM-SHA-512 user
 * whose password is in a file) and Postgres takes TLS connections only, from the same CA.
 */
export type StackSecurity =
  | { kind: 'plaintext' }
  | {
      kind: 'sasl_ssl';
      /** PEM file of the CA that signs the broker's and Postgres's certificates. */
      caFile: string;
      sasl: { mechanism: 'scram-sha-512'; username: string; passwordFile: string };
    };

/** The SCRAM user `npm start` creates in sasl_ssl mode. */
export const STACK_SASL_USERNAME = 'novamed';

/** A sasl_ssl stack's security, with the certificates and password its servers start with. */
export interface PreparedSaslSsl {
  security: Extract<StackSecurity, { kind: 'sasl_ssl' }>;
  certificates: GeneratedCertificates;
  password: string;
}

/**
 * Prepares `dir` for a sasl_ssl stack: new certificates every start (they are valid for two
 * days, and only this run trusts them), and the SCRAM user's password, kept in
 * `<dir>/kafka-password` (0600) for as long as the folder lives, because Kafka stores the user's
 * credentials when its storage is formatted, once.
 */
export async function prepareSaslSsl(dir: string): Promise<PreparedSaslSsl> {
  const certificates = await generateCertificates(join(dir, 'certs'));
  const passwordFile = join(dir, 'kafka-password');
  const password = await readFile(passwordFile, 'utf8').then(
    (text) => text.trim(),
    async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      const created = randomBytes(24).toString('base64url');
      await writeFile(passwordFile, `${created}\n`, { mode: 0o600, flag: 'wx' });
      return created;
    },
  );
  return {
    security: {
      kind: 'sasl_ssl',
      caFile: certificates.caFile,
      sasl: { mechanism: 'scram-sha-512', username: STACK_SASL_USERNAME, passwordFile },
    },
    certificates,
    password,
  };
}

/**
 * The kit's Kafka connection for an in-process client of the stack (topic creation), or
 * `undefined` in plain text. Reads the CA and password files.
 */
export async function stackKafkaConnection(
  security: StackSecurity,
): Promise<KafkaConnection | undefined> {
  switch (security.kind) {
    case 'plaintext':
      return undefined;
    case 'sasl_ssl':
      return {
        ssl: { ca: await readFile(security.caFile, 'utf8'), caVariable: 'KAFKA_SSL_CA_FILE' },
        sasl: {
          mechanism: security.sasl.mechanism,
          username: security.sasl.username,
          password: (await readFile(security.sasl.passwordFile, 'utf8')).trim(),
          passwordVariable: 'KAFKA_SASL_PASSWORD_FILE',
        },
      };
    default:
      return assertNever(security);
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown stack security ${JSON.stringify(value)}`);
}
