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
  /** This node's KRaft `node.id`. Default 1. */
  nodeId?: number;
  /**
   * Every controller of the cluster, this node included. Default: this node alone
   * (`[{ nodeId, controllerPort }]`), a single-node cluster.
   */
  voters?: readonly KafkaVoter[];
  /**
   * Replication factor of the internal topics (offsets, transactions, share state) and of topics
   * created without one. Default 1; a cluster passes its node count (at most 3).
   */
  replicationFactor?: number;
  /**
   * `min.insync.replicas` for the internal and default topics. Default 1; a cluster of three or
   * more passes 2 so an acks=all write is on two nodes.
   */
  minInsyncReplicas?: number;
}

/** One KRaft controller of the quorum: its node id and controller port on 127.0.0.1. */
export interface KafkaVoter {
  nodeId: number;
  controllerPort: number;
}

/**
 * Renders `server.properties` for one combined broker+controller node in KRaft mode, listening
 * on 127.0.0.1 only: by default a single-node cluster whose internal topics use replication
 * factor 1 and min ISR 1; with `nodeId`, `voters` and the replication options, one node of a
 * local multi-node cluster. Unclean leader election is off, the offsets topic has one partition
 * so the group coordinator is up quickly, topics are never auto-created (a typo must fail, not
 * create a topic), and a crashed node's previous incarnation is fenced after 3 s instead of 9 s.
 */
export function renderKafkaServerProperties(options: KafkaServerPropertiesOptions): string {
  const nodeId = options.nodeId ?? 1;
  const voters = options.voters ?? [{ nodeId, controllerPort: options.controllerPort }];
  const replicationFactor = options.replicationFactor ?? 1;
  const minIsr = options.minInsyncReplicas ?? 1;
  const settings: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': nodeId,
    'controller.quorum.voters': voters
      .map((voter) => `${voter.nodeId}@${LOCAL_HOST}:${voter.controllerPort}`)
      .join(','),
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
    'offsets.topic.replication.factor': replicationFactor,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': replicationFactor,
    'transaction.state.log.min.isr': minIsr,
    'min.insync.replicas': minIsr,
    'default.replication.factor': replicationFactor,
    'auto.create.topics.enable': 'false',
    // Never elect a replica that is not in sync: it would silently drop acknowledged writes.
    'unclean.leader.election.enable': 'false',
    'group.initial.rebalance.delay.ms': 0,
    'share.coordinator.state.topic.replication.factor': replicationFactor,
    'share.coordinator.state.topic.min.isr': minIsr,
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
