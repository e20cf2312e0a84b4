import { Kafka, type LogEntry, logLevel, Partitioners, type Producer } from 'kafkajs';
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
}

// kafkajs warns about its own defaults at every producer creation; we set them on purpose
// (bounded retries; ProducerSession replaces the producer after a failure instead).
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

function bridgeLogs(logger: Logger) {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const context = { namespace, ...extra };
      if (EXPECTED_WARNINGS.some((warning) => message.startsWith(warning))) {
        kafkaLogger.debug(context, message);
        return;
      }
      switch (level) {
        case logLevel.ERROR:
        case logLevel.NOTHING:
          kafkaLogger.error(context, message);
          return;
        case logLevel.WARN:
          kafkaLogger.warn(context, message);
          return;
        case logLevel.INFO:
          kafkaLogger.info(context, message);
          return;
        case logLevel.DEBUG:
          kafkaLogger.debug(context, message);
          return;
      }
    };
}

/**
 * A kafkajs client whose logs go to the ingress's pino logger, with timeouts and retries short
 * enough that a produce fails or succeeds within the append deadline.
 */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId ?? 'novamed-ingress',
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 1000,
    requestTimeout: options.requestTimeoutMs,
    enforceRequestTimeout: true,
    // Connection and metadata retries: a few quick ones, then fail so the caller can answer 503.
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000, factor: 0.2, multiplier: 2 },
    logLevel: logLevel.WARN,
    logCreator: bridgeLogs(options.logger),
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
