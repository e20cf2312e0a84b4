import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { testStack } from './test-stack.js';

/**
 * A kafkajs client for the shared broker. Logs warnings and errors only; `config` overrides
 * any setting (e.g. `{ logLevel: logLevel.NOTHING }` for tests that provoke errors).
 */
export function testKafka(clientId = 'testkit', config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: testStack().kafkaBrokers,
    logLevel: logLevel.WARN,
    ...config,
  });
}
