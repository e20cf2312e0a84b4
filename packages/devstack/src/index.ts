export { DEVSTACK_ENV_VARS, type DevstackEnv, readDevstackEnv } from './devstack-env.js';
export { DevstackError, isDevstackError } from './errors.js';
export { assertPortFree, findFreePorts, isPortFree, LOCAL_HOST } from './free-port.js';
export { type GeneratedCertificates, generateCertificates } from './generate-certificates.js';
export { KafkaBroker, type KafkaBrokerOptions, randomClusterId } from './kafka-broker.js';
export {
  KafkaCluster,
  type KafkaClusterOptions,
  type KafkaNodePorts,
} from './kafka-cluster.js';
export {
  DEFAULT_KAFKA_VERSION,
  defaultKafkaCacheDir,
  parseJavaMajorVersion,
  type ResolveKafkaJarsOptions,
  renderPom,
  resolveKafkaJars,
} from './kafka-jars.js';
export { renderKafkaLog4jProperties } from './kafka-log4j-properties.js';
export { type KafkaReadiness, type WaitForKafkaOptions, waitForKafka } from './kafka-readiness.js';
export {
  type KafkaSaslSslListener,
  type KafkaSaslUser,
  renderKafkaSaslSslProperties,
  scramFormatArgs,
} from './kafka-sasl-ssl-properties.js';
export {
  type KafkaServerPropertiesOptions,
  type KafkaVoter,
  renderKafkaServerProperties,
} from './kafka-server-properties.js';
export { type EnsuredTopic, type EnsureTopicOptions, ensureTopic } from './kafka-topic.js';
export { readLogTail } from './log-tail.js';
export { ensurePostgresBinaries } from './postgres-binaries.js';
export { PostgresServer, type PostgresServerOptions } from './postgres-server.js';
export { type ReplicationSettings, replicationForBrokers } from './replication-for-brokers.js';
export { findRepoRoot } from './repo-root.js';
export { runLocalStack, type StackExtension, type StartedExtension } from './run-local-stack.js';
export { ServiceProcess, type ServiceSpec } from './service-process.js';
export { EVENTS_TOPIC, type RunningStack, type StackOptions, startStack } from './stack.js';
export { type StackEndpoints, stackClientEnv } from './stack-client-env.js';
export {
  readStackFile,
  removeStackFile,
  type StackFile,
  stackFilePath,
  updateStackFile,
  writeStackFile,
} from './stack-file.js';
export {
  type PreparedSaslSsl,
  prepareSaslSsl,
  STACK_SASL_USERNAME,
  STACK_SECURITY_KINDS,
  type StackSecurity,
  type StackSecurityKind,
  stackKafkaConnection,
} from './stack-security.js';
