import { ensureTopic } from '@novamed-stream/devstack';
import { testStack } from './test-stack.js';
import { uniqueName } from './unique-name.js';

/** Options for {@link createTestTopic}. */
export interface CreateTestTopicOptions {
  /** Start of the topic name. Default `test`. */
  prefix?: string;
  /** Partitions. Default 1. */
  partitions?: number;
  /** Topic configs (e.g. `{ 'cleanup.policy': 'compact' }`). */
  config?: Record<string, string>;
}

/**
 * Creates a topic with a unique name on the shared broker and waits until every partition has a
 * leader; returns its name. Each test file gets its own topics, so files never see each other's
 * messages.
 */
export async function createTestTopic(options: CreateTestTopicOptions = {}): Promise<string> {
  const topic = uniqueName(options.prefix ?? 'test');
  await ensureTopic({
    brokers: testStack().kafkaBrokers,
    topic,
    partitions: options.partitions ?? 1,
    ...(options.config ? { config: options.config } : {}),
  });
  return topic;
}
