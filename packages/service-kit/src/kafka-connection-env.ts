import { Type } from '@sinclair/typebox';
import { EnvType } from './env-type.js';

/**
 * The secured-connection variables of every Kafka client (each service and the CLI spread
 * these properties into their own schema, so the names and rules are the same everywhere).
 * All are optional: without them the client connects in plain text without authentication.
 * {@link resolveKafkaConnection} checks the combinations and reads the files.
 */
export const KafkaConnectionEnv = {
  KAFKA_SSL: EnvType.boolean({
    default: false,
    description: 'connect with TLS (implied by KAFKA_SSL_CA_FILE or a client certificate)',
  }),
  KAFKA_SSL_CA_FILE: Type.Optional(
    EnvType.string({ description: 'PEM file of the CA(s) that sign the brokers’ certificates' }),
  ),
  KAFKA_SSL_CERT_FILE: Type.Optional(
    EnvType.string({ description: 'PEM client certificate (mutual TLS), with KAFKA_SSL_KEY_FILE' }),
  ),
  KAFKA_SSL_KEY_FILE: Type.Optional(
    EnvType.string({ description: 'PEM private key of KAFKA_SSL_CERT_FILE' }),
  ),
  KAFKA_SASL_MECHANISM: Type.Optional(
    EnvType.oneOf(['plain', 'scram-sha-256', 'scram-sha-512'], {
      description: 'SASL mechanism; unset: no SASL',
    }),
  ),
  KAFKA_SASL_USERNAME: Type.Optional(EnvType.string({ description: 'SASL user' })),
  KAFKA_SASL_PASSWORD: Type.Optional(
    EnvType.string({ description: 'SASL password (or KAFKA_SASL_PASSWORD_FILE)' }),
  ),
  KAFKA_SASL_PASSWORD_FILE: Type.Optional(
    EnvType.string({ description: 'file holding the SASL password (a mounted secret)' }),
  ),
};

/** The names of {@link KafkaConnectionEnv}'s variables. */
export type KafkaConnectionVariable = keyof typeof KafkaConnectionEnv;

/**
 * The Postgres TLS variable shared by every service and the CLI: `sslmode` itself goes in
 * DATABASE_URL (`?sslmode=verify-full`), this names the CA that signs the server certificate.
 */
export const DatabaseConnectionEnv = {
  DATABASE_CA_FILE: Type.Optional(
    EnvType.string({
      description: 'PEM file of the CA of the Postgres server (used with sslmode in DATABASE_URL)',
    }),
  ),
};
