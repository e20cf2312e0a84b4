import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { KafkaConnectionEnv, readEnv, resolveKafkaConnection } from '../src/index.js';

const Schema = Type.Object(KafkaConnectionEnv);
const files: Record<string, string> = {
  '/ca.pem': 'CA',
  '/client.pem': 'CERT',
  '/client.key': 'KEY',
  '/password': 's3cret-from-file\n',
  '/empty': '',
};
const readFile = (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
  return text;
};
function resolve(env: Record<string, string>) {
  const read = readEnv(Schema, env);
  if (!read.ok) return read;
  return resolveKafkaConnection(read.env, readFile);
}

describe('resolveKafkaConnection', () => {
  it('is plain text without authentication when nothing is set', () => {
    expect(resolve({})).toEqual({ ok: true, connection: {} });
  });

  it('reads the CA, client certificate and key, and a password file without its newline', () => {
    expect(
      resolve({
        KAFKA_SSL_CA_FILE: '/ca.pem',
        KAFKA_SSL_CERT_FILE: '/client.pem',
        KAFKA_SSL_KEY_FILE: '/client.key',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'app',
        KAFKA_SASL_PASSWORD_FILE: '/password',
      }),
    ).toEqual({
      ok: true,
      connection: {
        ssl: { ca: 'CA', cert: 'CERT', key: 'KEY', caVariable: 'KAFKA_SSL_CA_FILE' },
        sasl: {
          mechanism: 'scram-sha-512',
          username: 'app',
          password: 's3cret-from-file',
          passwordVariable: 'KAFKA_SASL_PASSWORD_FILE',
        },
      },
    });
  });

  it('uses the system CAs when only KAFKA_SSL is on', () => {
    expect(resolve({ KAFKA_SSL: 'true' })).toEqual({ ok: true, connection: { ssl: {} } });
  });

  it('names each variable that is missing, unreadable or half-set, never the password', () => {
    const result = resolve({
      KAFKA_SSL_CA_FILE: '/missing.pem',
      KAFKA_SSL_CERT_FILE: '/client.pem',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_PASSWORD: 'hunter2-password',
      KAFKA_SASL_PASSWORD_FILE: '/password',
    });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toEqual([
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE must be set together',
      'KAFKA_SSL_CA_FILE: cannot read /missing.pem (ENOENT)',
      'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM',
      'exactly one of KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM',
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses a user without a mechanism, an empty password file and an unknown mechanism', () => {
    expect(resolve({ KAFKA_SASL_USERNAME: 'app', KAFKA_SASL_PASSWORD: 'x' })).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^KAFKA_SASL_MECHANISM is required/)],
    });
    expect(
      resolve({
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'app',
        KAFKA_SASL_PASSWORD_FILE: '/empty',
      }),
    ).toEqual({ ok: false, errors: ['KAFKA_SASL_PASSWORD_FILE: the file is empty'] });
    expect(resolve({ KAFKA_SASL_MECHANISM: 'gssapi' })).toEqual({
      ok: false,
      errors: ['KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512'],
    });
  });
});
