import { Kafka, logLevel, type RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaLogBridge } from './kafka-log-bridge.js';

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
    logLevel: options.logger ? logLevel.WARN : logLevel.NOTHING,
    ...(options.logger ? { logCreator: kafkaLogBridge(options.logger) } : {}),
  });
}
