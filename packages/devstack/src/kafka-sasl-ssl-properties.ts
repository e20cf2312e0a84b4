import { LOCAL_HOST } from './free-port.js';

/** A user the broker accepts on its SASL_SSL listener (SCRAM-SHA-256/512 and PLAIN). */
export interface KafkaSaslUser {
  name: string;
  password: string;
}

/** A SASL_SSL listener next to the broker's plain one (see {@link KafkaBrokerOptions}). */
export interface KafkaSaslSslListener {
  /** Its port on 127.0.0.1. */
  port: number;
  /** PEM file with the broker's private key (PKCS#8, unencrypted) and then its certificate. */
  keyAndCertFile: string;
  /** PEM file of the CA(s) whose client certificates the broker trusts (mutual TLS). */
  trustedCaFile: string;
  /** Whether clients must present a certificate. Default `requested` (verified when sent). */
  clientAuth?: 'required' | 'requested' | 'none';
  /** Users, created as SCRAM credentials when the storage is formatted and as PLAIN users. */
  users: readonly KafkaSaslUser[];
}

const SCRAM_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const;

/** A JAAS option value in double quotes (the users' passwords are test values, but quoted right). */
function jaasQuoted(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * The `server.properties` lines that add a SASL_SSL listener to a broker whose other listeners
 * are PLAINTEXT (clients, inter-broker) and CONTROLLER. They are appended after the base
 * settings: `java.util.Properties` keeps the last value of a key, so `listeners`,
 * `advertised.listeners` and the protocol map given here replace the base ones. The controller
 * and inter-broker traffic stay plain text; only clients use the secured listener.
 */
export function renderKafkaSaslSslProperties(
  listener: KafkaSaslSslListener,
  base: { port: number; controllerPort: number },
): string {
  const plainUsers = listener.users
    .map((user) => `user_${user.name}=${jaasQuoted(user.password)}`)
    .join(' ');
  const settings: Record<string, string> = {
    listeners: [
      `PLAINTEXT://${LOCAL_HOST}:${base.port}`,
      `CONTROLLER://${LOCAL_HOST}:${base.controllerPort}`,
      `SASL_SSL://${LOCAL_HOST}:${listener.port}`,
    ].join(','),
    'advertised.listeners': `PLAINTEXT://${LOCAL_HOST}:${base.port},SASL_SSL://${LOCAL_HOST}:${listener.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
    'sasl.enabled.mechanisms': [...SCRAM_MECHANISMS, 'PLAIN'].join(','),
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config':
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config':
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': listener.keyAndCertFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': listener.trustedCaFile,
    // Kafka ignores a plain `ssl.client.auth` on SASL_SSL listeners (KIP-684): only the
    // listener-prefixed setting asks for client certificates there.
    'listener.name.sasl_ssl.ssl.client.auth': listener.clientAuth ?? 'requested',
  };
  return `\n# SASL_SSL listener (overrides the listener settings above)\n${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/**
 * The StorageTool arguments that create the users' SCRAM credentials at format time (KRaft
 * stores them in the cluster metadata; there is no ZooKeeper to add them later).
 */
export function scramFormatArgs(users: readonly KafkaSaslUser[]): string[] {
  return users.flatMap((user) =>
    SCRAM_MECHANISMS.flatMap((mechanism) => [
      '--add-scram',
      `${mechanism}=[name=${user.name},password=${user.password}]`,
    ]),
  );
}
