import { describe, expect, it } from 'vitest';
import { stackClientEnv } from './stack-client-env.js';

describe('stackClientEnv', () => {
  it('gives a plain-text stack its brokers and URL only', () => {
    expect(
      stackClientEnv({
        kafkaBrokers: ['127.0.0.1:9092', '127.0.0.1:9192'],
        databaseUrl: 'postgres://postgres:postgres@127.0.0.1:54329/postgres',
        security: { kind: 'plaintext' },
      }),
    ).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9192',
      DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:54329/postgres',
    });
  });

  it("gives a sasl_ssl stack README's secured variables: the CA, SCRAM with a password file, verify-full", () => {
    const env = stackClientEnv({
      kafkaBrokers: ['127.0.0.1:9092'],
      databaseUrl:
        'postgres://postgres:postgres@127.0.0.1:54329/postgres?sslmode=verify-full&sslrootcert=/d/sasl-ssl/certs/ca.pem',
      security: {
        kind: 'sasl_ssl',
        caFile: '/d/sasl-ssl/certs/ca.pem',
        sasl: {
          mechanism: 'scram-sha-512',
          username: 'novamed',
          passwordFile: '/d/sasl-ssl/kafka-password',
        },
      },
    });
    expect(env).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      KAFKA_SSL_CA_FILE: '/d/sasl-ssl/certs/ca.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'novamed',
      KAFKA_SASL_PASSWORD_FILE: '/d/sasl-ssl/kafka-password',
      DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:54329/postgres?sslmode=verify-full',
      DATABASE_CA_FILE: '/d/sasl-ssl/certs/ca.pem',
    });
  });
});
