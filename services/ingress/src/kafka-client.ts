import { createKafka, type KafkaConnection } from '@novamed-stream/service-kit';
import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from 'pino';

/** Options of {@link createKafkaClient}. */
export interface KafkaClientOptions {
  brokers: string[];
  clientId?: string;
  logger: Logger;
  /** Client-side timeout of one request to a broker, in ms. */
  requestTimeoutMs: number;
  /** Timeout of one TCP connection attempt, in ms. Default 1000. */
  connectionTimeoutMs?: number;
  /** TLS and SASL; default plain text. */
  connection?: KafkaConnection;
}

/**
 * The kit's kafkajs client with timeouts and retries short enough that a produce fails or
 * succeeds within the append deadline.
 */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  return createKafka({
    clientId: options.clientId ?? 'novamed-ingress',
    brokers: options.brokers,
    logger: options.logger,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 1000,
    // A SASL handshake fails or succeeds well within the append deadline.
    authenticationTimeoutMs: 3000,
    ...(options.connection ? { connection: options.connection } : {}),
    requestTimeoutMs: options.requestTimeoutMs,
    // Connection and metadata retries: a few quick ones, then fail so the caller can answer 503.
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000, factor: 0.2, multiplier: 2 },
  });
}

/**
 * The producer the ingress appends with: idempotent (so kafkajs's own retries cannot duplicate
 * or reorder), one request in flight per broker (what kafkajs requires for idempotence), never
 * auto-creating topics, Java-compatible partitioning (murmur2 of the key, like every other
 * Kafka client). Retries are bounded: after a failure the ProducerSession replaces the producer.
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500, factor: 0.2, multiplier: 2 },
  });
}
