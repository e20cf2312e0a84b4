import { describe, expect, it } from 'vitest';
import { classifyKafkaConnectionError, type KafkaConnection } from '../src/index.js';

const brokers = ['127.0.0.1:9093'];
const secured: KafkaConnection = {
  ssl: { ca: 'CA', caVariable: 'KAFKA_SSL_CA_FILE' },
  sasl: {
    mechanism: 'scram-sha-512',
    username: 'app',
    password: 'the-password',
    passwordVariable: 'KAFKA_SASL_PASSWORD',
  },
};
/** An error shaped like kafkajs's (name, code, cause chain). */
function kafkaError(name: string, message: string, extra: object = {}): Error {
  return Object.assign(new Error(message), { name }, extra);
}

describe('classifyKafkaConnectionError', () => {
  it('names the password variable when SASL authentication is refused', () => {
    const error = kafkaError(
      'KafkaJSSASLAuthenticationError',
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    const failure = classifyKafkaConnectionError(error, secured, brokers);
    expect(failure.reason).toBe('SASL_REFUSED');
    expect(failure.message).toMatch(/^KAFKA_SASL_PASSWORD was refused by the broker/);
    expect(failure.message).not.toContain('the-password');
  });

  it('names the CA file when the certificate chain is not trusted, through retry wrappers', () => {
    const cause = kafkaError(
      'KafkaJSConnectionError',
      'Connection error: self-signed certificate in certificate chain',
      { code: 'SELF_SIGNED_CERT_IN_CHAIN' },
    );
    const error = kafkaError('KafkaJSNumberOfRetriesExceeded', cause.message, { cause });
    const failure = classifyKafkaConnectionError(error, secured, brokers);
    expect(failure.reason).toBe('TLS_UNTRUSTED');
    expect(failure.message).toMatch(/^KAFKA_SSL_CA_FILE does not verify the broker's certificate/);
  });

  it('names the client certificate variables when the broker asks for mutual TLS', () => {
    const alert = kafkaError(
      'KafkaJSConnectionError',
      'Connection error: error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:SSL alert number 42',
    );
    const noCert = { ssl: { ca: 'CA', caVariable: 'KAFKA_SSL_CA_FILE' as const } };
    expect(classifyKafkaConnectionError(alert, noCert, brokers)).toMatchObject({
      reason: 'TLS_CLIENT_CERT_REFUSED',
      message: expect.stringContaining('set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE'),
    });
  });

  it('says a plain-text client was dropped by the broker (a TLS listener)', () => {
    for (const error of [
      kafkaError('KafkaJSConnectionClosedError', 'Closed connection'),
      kafkaError('KafkaBootTimeout', 'no answer within 10000 ms (timed out)'),
      kafkaError('KafkaJSConnectionError', 'Connection error: read ECONNRESET', {
        code: 'ECONNRESET',
      }),
    ]) {
      const failure = classifyKafkaConnectionError(error, undefined, brokers);
      expect(failure.reason).toBe('TLS_REQUIRED');
      expect(failure.message).toContain('KAFKA_SSL=true');
    }
  });

  it('tells apart a TLS client against a plain listener, an unreachable broker and a name mismatch', () => {
    const wrongVersion = kafkaError(
      'KafkaJSConnectionError',
      'Connection error: wrong version number',
      { code: 'EPROTO' },
    );
    expect(classifyKafkaConnectionError(wrongVersion, secured, brokers).reason).toBe(
      'TLS_NOT_SPOKEN',
    );
    const refused = kafkaError('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED', {
      code: 'ECONNREFUSED',
    });
    expect(classifyKafkaConnectionError(refused, undefined, brokers).reason).toBe('UNREACHABLE');
    const altName = kafkaError(
      'KafkaJSConnectionError',
      "Hostname/IP does not match certificate's altnames",
      { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    );
    expect(classifyKafkaConnectionError(altName, secured, brokers)).toMatchObject({
      reason: 'TLS_NAME_MISMATCH',
      message: expect.stringContaining('KAFKA_BROKERS'),
    });
  });
});
