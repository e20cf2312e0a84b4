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

  it('never elects an out-of-sync replica leader', () => {
    expect(properties.get('unclean.leader.election.enable')).toBe('false');
  });

  it('renders one node of a three-node cluster: own id, every voter, RF 3 and min ISR 2', () => {
    const node = parse(
      renderKafkaServerProperties({
        port: 19192,
        controllerPort: 19193,
        logDirs: '/data/node-2/logs',
        nodeId: 2,
        voters: [
          { nodeId: 1, controllerPort: 19093 },
          { nodeId: 2, controllerPort: 19193 },
          { nodeId: 3, controllerPort: 19293 },
        ],
        replicationFactor: 3,
        minInsyncReplicas: 2,
      }),
    );
    expect(node.get('node.id')).toBe('2');
    expect(node.get('controller.quorum.voters')).toBe(
      '1@127.0.0.1:19093,2@127.0.0.1:19193,3@127.0.0.1:19293',
    );
    expect(node.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19192');
    for (const key of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'default.replication.factor',
      'share.coordinator.state.topic.replication.factor',
    ]) {
      expect(node.get(key), key).toBe('3');
    }
    for (const key of [
      'transaction.state.log.min.isr',
      'min.insync.replicas',
      'share.coordinator.state.topic.min.isr',
    ]) {
      expect(node.get(key), key).toBe('2');
    }
  });
});
