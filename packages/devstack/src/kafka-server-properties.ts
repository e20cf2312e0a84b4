import { LOCAL_HOST } from './free-port.js';

/** What varies between single-node brokers; everything else is fixed for local use. */
export interface KafkaServerPropertiesOptions {
  /** Client (PLAINTEXT) port. */
  port: number;
  /** KRaft controller port. */
  controllerPort: number;
  /** Folder for the topic partitions and cluster metadata (`log.dirs`). */
  logDirs: string;
  /** Partitions of topics created without an explicit count. Default 1. */
  numPartitions?: number;
}

/**
 * Renders `server.properties` for a single combined broker+controller node in KRaft mode,
 * listening on 127.0.0.1 only. Internal topics use replication factor 1 and min ISR 1 (there is
 * one node), the offsets topic has one partition so the group coordinator is up quickly, and
 * topics are never auto-created (a typo must fail, not create a topic), and a crashed node's
 * previous incarnation is fenced after 3 s instead of 9 s.
 */
export function renderKafkaServerProperties(options: KafkaServerPropertiesOptions): string {
  const settings: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${LOCAL_HOST}:${options.controllerPort}`,
    listeners: [
      `PLAINTEXT://${LOCAL_HOST}:${options.port}`,
      `CONTROLLER://${LOCAL_HOST}:${options.controllerPort}`,
    ].join(','),
    'advertised.listeners': `PLAINTEXT://${LOCAL_HOST}:${options.port}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': options.logDirs,
    'num.partitions': options.numPartitions ?? 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'min.insync.replicas': 1,
    'default.replication.factor': 1,
    'auto.create.topics.enable': 'false',
    'group.initial.rebalance.delay.ms': 0,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // After a crash (SIGKILL) the restarted node cannot register until the controller has fenced
    // its previous incarnation, which waits for the session timeout (9 s by default). Broker and
    // controller share one JVM here, so a short session costs nothing and restarts take ~3 s.
    'broker.heartbeat.interval.ms': 500,
    'broker.session.timeout.ms': 3000,
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}
