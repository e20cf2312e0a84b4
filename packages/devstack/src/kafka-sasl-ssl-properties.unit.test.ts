import { describe, expect, it } from 'vitest';
import { renderKafkaSaslSslProperties, scramFormatArgs } from './kafka-sasl-ssl-properties.js';
import { renderKafkaServerProperties } from './kafka-server-properties.js';

/** The value java.util.Properties ends up with: the last line of a key wins. */
function lastValues(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    values.set(line.slice(0, at), line.slice(at + 1));
  }
  return values;
}

describe('renderKafkaSaslSslProperties', () => {
  const listener = {
    port: 9094,
    keyAndCertFile: '/certs/server-key-and-cert.pem',
    trustedCaFile: '/certs/ca.pem',
    users: [{ name: 'app', password: 'pa"ss' }],
  };
  const base = renderKafkaServerProperties({ port: 9092, controllerPort: 9093, logDirs: '/logs' });
  const values = lastValues(
    `${base}${renderKafkaSaslSslProperties(listener, { port: 9092, controllerPort: 9093 })}`,
  );

  it('adds a SASL_SSL listener and keeps the plain and controller ones', () => {
    expect(values.get('listeners')).toBe(
      'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_SSL://127.0.0.1:9094',
    );
    expect(values.get('advertised.listeners')).toBe(
      'PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094',
    );
    expect(values.get('inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(values.get('controller.listener.names')).toBe('CONTROLLER');
  });

  it('reads PEM files and accepts SCRAM and PLAIN users, quoting the JAAS values', () => {
    expect(values.get('ssl.keystore.type')).toBe('PEM');
    expect(values.get('ssl.truststore.location')).toBe('/certs/ca.pem');
    // The unprefixed ssl.client.auth does not apply to SASL_SSL listeners (KIP-684).
    expect(values.get('listener.name.sasl_ssl.ssl.client.auth')).toBe('requested');
    expect(values.get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512,SCRAM-SHA-256,PLAIN');
    expect(values.get('listener.name.sasl_ssl.plain.sasl.jaas.config')).toContain(
      'user_app="pa\\"ss";',
    );
  });

  it('creates each user for both SCRAM mechanisms at format time', () => {
    expect(scramFormatArgs(listener.users)).toEqual([
      '--add-scram',
      'SCRAM-SHA-512=[name=app,password=pa"ss]',
      '--add-scram',
      'SCRAM-SHA-256=[name=app,password=pa"ss]',
    ]);
  });
});
