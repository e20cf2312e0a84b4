import { Kafka, type KafkaConfig, logLevel, type RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaLogBridge } from './kafka-log-bridge.js';
import type { KafkaConnection } from './resolve-kafka-connection.js';

/** Options of {@link createKafka}. */
export interface KafkaOptions {
  brokers: readonly string[];
  clientId: string;
  /** Where kafkajs logs go (warnings and errors); without one, kafkajs logs nothing. */
  logger?: Logger;
  /** Timeout of one TCP connection attempt, in ms (kafkajs default 1000). */
  connectionTimeoutMs?: number;
  /** Client-side timeout of one request, enforced (kafkajs default 30000). */
  requestTimeoutMs?: number;
  /** Connection and metadata retries (kafkajs defaults when unset). */
  retry?: RetryOptions;
  /** Timeout of the SASL authentication of one connection, in ms (kafkajs default 10000). */
  authenticationTimeoutMs?: number;
  /** TLS and SASL (from `resolveKafkaConnection`); without it, plain text, no authentication. */
  connection?: KafkaConnection;
}

/**
 * The one place where a kafkajs client is configured: every service, the CLI and the local
 * stack connect through it, so connection settings (TLS, SASL) are added here once.
 */
export function createKafka(options: KafkaOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...(options.connectionTimeoutMs === undefined
      ? {}
      : { connectionTimeout: options.connectionTimeoutMs }),
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestTimeout: options.requestTimeoutMs, enforceRequestTimeout: true }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.authenticationTimeoutMs === undefined
      ? {}
      : { authenticationTimeout: options.authenticationTimeoutMs }),
    ...kafkajsSecurity(options.connection),
    logLevel: options.logger ? logLevel.WARN : logLevel.NOTHING,
    ...(options.logger ? { logCreator: kafkaLogBridge(options.logger) } : {}),
  });
}

/** The kafkajs `ssl` and `sasl` settings of a connection (only the fields kafkajs reads). */
function kafkajsSecurity(connection: KafkaConnection | undefined): Partial<KafkaConfig> {
  const ssl = connection?.ssl;
  const sasl = connection?.sasl;
  return {
    // The server-name check stays on: never rejectUnauthorized: false.
    ...(ssl
      ? {
          ssl: {
            ...(ssl.ca === undefined ? {} : { ca: [ssl.ca] }),
            ...(ssl.cert === undefined ? {} : { cert: ssl.cert }),
            ...(ssl.key === undefined ? {} : { key: ssl.key }),
          },
        }
      : {}),
    ...(sasl
      ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } }
      : {}),
  } as Partial<KafkaConfig>;
}
