export { appendAsIngress, type EventToAppend } from './append-as-ingress.js';
export {
  type ConsoleProcess,
  type ConsoleProcessOptions,
  consoleProcess,
} from './console-process.js';
export {
  startDedicatedBroker,
  startDedicatedCluster,
  startDedicatedPostgres,
} from './dedicated-servers.js';
export {
  type EventMix,
  type EventMixOptions,
  generateEventMix,
  type MixMessage,
  type RawEvent,
} from './event-mix.js';
export { type IngressEnvelope, type IngressMessage, ingressMessage } from './ingress-message.js';
export {
  type IngressProcess,
  type IngressProcessOptions,
  ingressProcess,
} from './ingress-process.js';
export { killProcessesUsing, processesUsing } from './leftover-processes.js';
export { type OrderJourneysOptions, orderJourneys } from './order-journeys.js';
export {
  type ProjectorProcess,
  type ProjectorProcessOptions,
  projectorProcess,
} from './projector-process.js';
export { readTopic, type TopicMessage } from './read-topic.js';
export {
  type SandboxProcess,
  type SandboxProcessOptions,
  sandboxProcess,
} from './sandbox-process.js';
export { seededRandom } from './seeded-random.js';
export {
  postAndRead,
  type SendableEvent,
  type SendOptions,
  type SendReport,
  sendLikeNovaMed,
  type WebhookAnswer,
} from './send-like-novamed.js';
export { PROJECTOR_NAMES, type ProjectorName, SERVICE_ENTRIES } from './service-entries.js';
export { type RunningSystem, type StartSystemOptions, startSystem } from './start-system.js';
export { createTestDatabase, type TestDatabase } from './test-database.js';
export { testKafka } from './test-kafka.js';
export { type ProvidedStack, testStack } from './test-stack.js';
export { type CreateTestTopicOptions, createTestTopic } from './test-topic.js';
export { uniqueName } from './unique-name.js';
