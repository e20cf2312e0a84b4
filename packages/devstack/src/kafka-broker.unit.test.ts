import { describe, expect, it } from 'vitest';
import { randomClusterId } from './kafka-broker.js';
import { renderKafkaLog4jProperties } from './kafka-log4j-properties.js';

describe('randomClusterId', () => {
  it('is a Kafka Uuid string: 16 bytes, base64url, no padding, not starting with "-"', () => {
    const ids = Array.from({ length: 500 }, randomClusterId);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('renderKafkaLog4jProperties', () => {
  it('appends INFO logs to the given file', () => {
    const config = renderKafkaLog4jProperties('/data/kafka/kafka.log');
    expect(config).toContain('appender.file.fileName = /data/kafka/kafka.log');
    expect(config).toContain('appender.file.append = true');
    expect(config).toContain('rootLogger.level = INFO');
  });
});
