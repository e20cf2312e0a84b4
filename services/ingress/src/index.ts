export type { BatchProducer, OutgoingMessage, ProducerBatch } from './batch-producer.js';
export {
  type BuildAppOptions,
  buildApp,
  type IngressAdmin,
  type IngressApp,
  type IngressControls,
  type IngressProducer,
} from './build-app.js';
export {
  type ConfigResult,
  DEFAULT_HTTP_TIMEOUTS,
  DEFAULT_LIMITS,
  DEFAULT_TOPICS,
  type IngressConfig,
  type IngressLimits,
  loadConfig,
  type TopicsConfig,
} from './config.js';
export { ERRORS, type ErrorBody, type ErrorCode } from './errors.js';
export { createIdempotentProducer, createKafkaClient } from './kafka-client.js';
export { createLogger, type LoggerOptions } from './logger.js';
