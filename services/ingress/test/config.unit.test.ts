import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const KEY = 'a-webhook-secret-0001';
const minimal = { WEBHOOK_API_KEYS: KEY, KAFKA_BROKERS: 'localhost:9092' };

function errorsOf(environment: Record<string, string | undefined>): string[] {
  const result = loadConfig(environment);
  if (result.ok) throw new Error('expected the configuration to be refused');
  return result.errors;
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const result = loadConfig(minimal);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      webhookPath: '/webhooks/novamed',
      apiKeys: [KEY],
      kafkaBrokers: ['localhost:9092'],
      topics: {
        events: 'novamed.events.v1',
        quarantine: 'novamed.quarantine.v1',
        partitions: 6,
        replicationFactor: 1,
      },
      limits: {
        bodyLimitBytes: 262_144,
        appendDeadlineMs: 3000,
        lingerMs: 2,
        maxPending: 5000,
      },
      logLevel: 'info',
      tls: undefined,
    });
  });

  it('parses lists and numbers', () => {
    const result = loadConfig({
      ...minimal,
      WEBHOOK_API_KEYS: ` ${KEY} , second-secret-key-02 `,
      KAFKA_BROKERS: 'k1:9092, k2:9093',
      PORT: '9000',
      LINGER_MS: '0',
      TOPIC_PARTITIONS: '12',
      LOG_LEVEL: 'warn',
      TLS_CERT_FILE: '/etc/cert.pem',
      TLS_KEY_FILE: '/etc/key.pem',
    });
    expect(result.ok && result.config).toMatchObject({
      apiKeys: [KEY, 'second-secret-key-02'],
      kafkaBrokers: ['k1:9092', 'k2:9093'],
      port: 9000,
      limits: { lingerMs: 0 },
      topics: { partitions: 12 },
      logLevel: 'warn',
      tls: { certFile: '/etc/cert.pem', keyFile: '/etc/key.pem' },
    });
  });

  it('names each missing required variable', () => {
    const errors = errorsOf({});
    expect(errors.some((error) => error.startsWith('WEBHOOK_API_KEYS is required'))).toBe(true);
    expect(errors.some((error) => error.startsWith('KAFKA_BROKERS is required'))).toBe(true);
  });

  it.each([
    ['PORT', 'eighty', 'PORT must be an integer from 0 to 65535'],
    ['PORT', '70000', 'PORT must be an integer from 0 to 65535'],
    ['APPEND_DEADLINE_MS', '6000', 'APPEND_DEADLINE_MS must be an integer from 100 to 4500'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of fatal, error, warn, info'],
    ['KAFKA_BROKERS', 'no-port', 'KAFKA_BROKERS must be a comma-separated list of host:port'],
    ['WEBHOOK_PATH', 'webhooks', 'WEBHOOK_PATH must be a string matching'],
  ])('refuses %s=%s with a message naming the variable', (name, value, message) => {
    expect(errorsOf({ ...minimal, [name]: value }).join('\n')).toContain(message);
  });

  it('refuses short keys without echoing them', () => {
    const errors = errorsOf({ ...minimal, WEBHOOK_API_KEYS: `${KEY},short-key` });
    expect(errors).toEqual(['WEBHOOK_API_KEYS: every key must be at least 16 characters']);
    expect(errors.join()).not.toContain('short-key');
  });

  it('reads the secured Kafka connection (files only once every variable is valid) and names an unreadable file', () => {
    const files: Record<string, string> = {
      '/run/secrets/kafka': 'from-a-file\n',
      '/ca.pem': 'CA',
    };
    const read = (path: string) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return text;
    };
    const secured = {
      ...minimal,
      KAFKA_SSL_CA_FILE: '/ca.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'ingress',
      KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka',
    };
    const result = loadConfig(secured, read);
    expect(result.ok && result.config.kafkaConnection).toEqual({
      ssl: { ca: 'CA', caVariable: 'KAFKA_SSL_CA_FILE' },
      sasl: {
        mechanism: 'scram-sha-512',
        username: 'ingress',
        password: 'from-a-file',
        passwordVariable: 'KAFKA_SASL_PASSWORD_FILE',
      },
    });
    const bad = loadConfig(
      { ...secured, KAFKA_SSL_CA_FILE: '/missing.pem', LINGER_MS: '-1' },
      read,
    );
    expect(bad.ok ? [] : bad.errors).toEqual(['LINGER_MS must be an integer from 0 to 1000']);
    const badFile = loadConfig({ ...secured, KAFKA_SSL_CA_FILE: '/missing.pem' }, read);
    expect(badFile.ok ? [] : badFile.errors).toEqual([
      'KAFKA_SSL_CA_FILE: cannot read /missing.pem (ENOENT)',
    ]);
  });

  it('refuses half a TLS configuration and equal topic names', () => {
    expect(errorsOf({ ...minimal, TLS_CERT_FILE: '/c.pem' })).toContain(
      'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
    );
    expect(errorsOf({ ...minimal, QUARANTINE_TOPIC: 'novamed.events.v1' })).toContain(
      'QUARANTINE_TOPIC must differ from EVENTS_TOPIC',
    );
  });

  it('treats empty values as unset', () => {
    const result = loadConfig({ ...minimal, PORT: '', TLS_CERT_FILE: ' ' });
    expect(result.ok && result.config.port).toBe(8080);
  });
});
