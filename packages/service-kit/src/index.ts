export {
  checkKafkaConnection,
  type KafkaConnectionCheck,
  KafkaConnectionError,
  requireKafkaConnection,
} from './check-kafka-connection.js';
export {
  classifyKafkaConnectionError,
  isSettingFailure,
  type KafkaConnectionFailure,
} from './classify-kafka-connection-error.js';
export { createKafka, type KafkaOptions } from './create-kafka.js';
export {
  createLogDestination,
  createLogger,
  type LogDestination,
  type LoggerOptions,
} from './create-logger.js';
export { databaseTlsFailure } from './database-tls-failure.js';
export {
  type EnsureTopicsOptions,
  ensureTopics,
  type TopicAdmin,
  type TopicCheck,
  type TopicLogger,
  type TopicShape,
  type TopicSpec,
} from './ensure-topics.js';
export { type EnvCoercion, type EnvOptions, EnvType, parseDurationMs } from './env-type.js';
export {
  flushLogger,
  installShutdown,
  type Shutdown,
  type ShutdownOptions,
} from './graceful-shutdown.js';
export {
  type HealthReport,
  type HealthServer,
  type HealthServerOptions,
  startHealthServer,
} from './health-server.js';
export {
  DatabaseConnectionEnv,
  KafkaConnectionEnv,
  type KafkaConnectionVariable,
} from './kafka-connection-env.js';
export { kafkaLogBridge } from './kafka-log-bridge.js';
export { createKeyVerifier, type KeyVerifier } from './key-verifier.js';
export { type PollOptions, type PollOutcome, type PollStep, pollUntil } from './poll-until.js';
export { ConfigError, type EnvResult, expectedOf, readEnv, requireEnv } from './read-env.js';
export { REDACT_MAX_DEPTH, REDACTED, redactPaths, redactPhi } from './redact-phi.js';
export {
  type KafkaConnection,
  type KafkaConnectionResult,
  type KafkaConnectionSettings,
  type ReadTextFile,
  resolveKafkaConnection,
  type SaslMechanism,
} from './resolve-kafka-connection.js';
export { isRetriableKafkaError, type RetryOptions, retry } from './retry.js';
export { type RunServiceOptions, runService } from './run-service.js';
