export { startDedicatedBroker, startDedicatedPostgres } from './dedicated-servers.js';
export { killProcessesUsing, processesUsing } from './leftover-processes.js';
export { readTopic, type TopicMessage } from './read-topic.js';
export { createTestDatabase, type TestDatabase } from './test-database.js';
export { testKafka } from './test-kafka.js';
export { type ProvidedStack, testStack } from './test-stack.js';
export { type CreateTestTopicOptions, createTestTopic } from './test-topic.js';
export { uniqueName } from './unique-name.js';
