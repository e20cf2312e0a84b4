import { describe, expect, it } from 'vitest';
import { renderKafkaServerProperties } from './kafka-server-properties.js';

function parse(text: string): Map<string, string> {
  return new Map(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)] as const;
      }),
  );
}

describe('renderKafkaServerProperties', () => {
  const properties = parse(
    renderKafkaServerProperties({ port: 19092, controllerPort: 19093, logDirs: '/data/logs' }),
  );

  it('runs one combined KRaft node on 127.0.0.1 with the given ports', () => {
    expect(properties.get('process.roles')).toBe('broker,controller');
    expect(properties.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
    expect(properties.get('listeners')).toBe(
      'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
    );
    expect(properties.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(properties.get('log.dirs')).toBe('/data/logs');
  });

  it('gives every internal topic replication factor 1 and min ISR 1 (one node)', () => {
    for (const key of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
      'min.insync.replicas',
      'default.replication.factor',
      'share.coordinator.state.topic.replication.factor',
      'share.coordinator.state.topic.min.isr',
    ]) {
      expect(properties.get(key), key).toBe('1');
    }
  });

  it('never auto-creates topics and starts consumer groups without delay', () => {
    expect(properties.get('auto.create.topics.enable')).toBe('false');
    expect(properties.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(properties.get('offsets.topic.num.partitions')).toBe('1');
  });

  it('fences a crashed incarnation sooner than the default 9 s', () => {
    const session = Number(properties.get('broker.session.timeout.ms'));
    const heartbeat = Number(properties.get('broker.heartbeat.interval.ms'));
    expect(session).toBeLessThan(9000);
    expect(heartbeat).toBeLessThan(session);
  });

  it('has no duplicate keys', () => {
    const text = renderKafkaServerProperties({ port: 1, controllerPort: 2, logDirs: '/x' });
    const keys = text
      .trim()
      .split('\n')
      .map((line) => line.split('=')[0]);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
