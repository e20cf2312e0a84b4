import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DevstackError } from './errors.js';
import { KafkaBroker, randomClusterId } from './kafka-broker.js';
import { DEFAULT_KAFKA_VERSION } from './kafka-jars.js';
import { waitForKafka } from './kafka-readiness.js';
import type { KafkaSaslSslListener } from './kafka-sasl-ssl-properties.js';
import { replicationForBrokers } from './replication-for-brokers.js';

/** The two ports of one node of a {@link KafkaCluster}. */
export interface KafkaNodePorts {
  /** Client port on 127.0.0.1. */
  port: number;
  /** KRaft controller port on 127.0.0.1. */
  controllerPort: number;
  /** Port of the node's SASL_SSL listener (with {@link KafkaClusterOptions.saslSsl}). */
  saslSslPort?: number;
}

/** Options for {@link KafkaCluster}. */
export interface KafkaClusterOptions {
  /** The cluster's folder: node `n` keeps its data in `<dataDir>/node-<n>`, the cluster id beside. */
  dataDir: string;
  /** One entry per node (node ids 1, 2, ...): each node is a broker and a controller. */
  nodes: readonly KafkaNodePorts[];
  /** Folder with the jars, from {@link resolveKafkaJars}. */
  libDir: string;
  /** JVM heap of each node. Default 256m / 1g. */
  heap?: { initial: string; max: string };
  /**
   * Replication factor of internal topics and topics created without one. Default: the node
   * count, at most 3 (see {@link replicationForBrokers}).
   */
  replicationFactor?: number;
  /** `min.insync.replicas` of internal and default topics. Default: 2 with 3+ nodes, else 1. */
  minInsyncReplicas?: number;
  /** How long {@link KafkaCluster.start} waits for the cluster to serve clients. Default 90 s. */
  startTimeoutMs?: number;
  /** Kafka version of the jars, for messages only. Default 4.1.1. */
  version?: string;
  /** The `java` executable; see {@link KafkaBrokerOptions.javaBin}. */
  javaBin?: string;
  /**
   * A SASL_SSL client listener on every node, on its `saslSslPort` (required then); the nodes
   * still talk to each other over the plain listener.
   */
  saslSsl?: Omit<KafkaSaslSslListener, 'port'>;
}

const CLUSTER_ID_FILE = 'cluster-id';

function saslSslPort(node: KafkaNodePorts): number {
  if (node.saslSslPort === undefined) {
    throw new Error('a cluster with a SASL_SSL listener needs a saslSslPort for every node');
  }
  return node.saslSslPort;
}

/**
 * Several real Apache Kafka nodes on 127.0.0.1 forming one KRaft cluster: every node is a broker
 * and a controller, all share one `controller.quorum.voters` list and one cluster id (kept in
 * `<dataDir>/cluster-id`, so a node formatted later joins the same cluster). Nodes start in
 * parallel because none can serve clients before a majority of controllers runs.
 */
export class KafkaCluster {
  /** The nodes, node id `i + 1` at index `i`. */
  readonly nodes: readonly KafkaBroker[];
  readonly dataDir: string;
  readonly version: string;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  private readonly startTimeoutMs: number;
  /** The KRaft cluster id every node is formatted with. */
  readonly clusterId: string;
  private readonly clusterIdFile: string;

  constructor(options: KafkaClusterOptions) {
    if (options.nodes.length === 0) throw new Error('a Kafka cluster needs at least one node');
    this.dataDir = options.dataDir;
    this.version = options.version ?? DEFAULT_KAFKA_VERSION;
    const defaults = replicationForBrokers(options.nodes.length);
    this.replicationFactor = options.replicationFactor ?? defaults.replicationFactor;
    this.minInsyncReplicas = options.minInsyncReplicas ?? defaults.minInsyncReplicas;
    this.startTimeoutMs = options.startTimeoutMs ?? 90_000;
    const voters = options.nodes.map((node, index) => ({
      nodeId: index + 1,
      controllerPort: node.controllerPort,
    }));
    this.clusterIdFile = join(options.dataDir, CLUSTER_ID_FILE);
    // The id of an earlier run, so restarted and late-formatted nodes join the same cluster.
    this.clusterId = existsSync(this.clusterIdFile)
      ? readFileSync(this.clusterIdFile, 'utf8').trim()
      : randomClusterId();
    this.nodes = options.nodes.map(
      (node, index) =>
        new KafkaBroker({
          dataDir: join(options.dataDir, `node-${index + 1}`),
          port: node.port,
          controllerPort: node.controllerPort,
          libDir: options.libDir,
          version: this.version,
          nodeId: index + 1,
          voters,
          replicationFactor: this.replicationFactor,
          minInsyncReplicas: this.minInsyncReplicas,
          // A node alone cannot serve group coordinators or producer ids before the quorum
          // and the internal topics' replicas are up; the cluster waits for those once.
          waitForCoordinators: false,
          startTimeoutMs: this.startTimeoutMs,
          ...(options.heap ? { heap: options.heap } : {}),
          ...(options.javaBin ? { javaBin: options.javaBin } : {}),
          clusterId: this.clusterId,
          ...(options.saslSsl ? { saslSsl: { ...options.saslSsl, port: saslSslPort(node) } } : {}),
        }),
    );
  }

  /** Bootstrap servers of every node's SASL_SSL listener (empty without `saslSsl`). */
  get saslSslBrokers(): string[] {
    return this.nodes.flatMap((node) => node.saslSslBrokers);
  }

  /** Bootstrap servers of every node, e.g. `['127.0.0.1:9092', '127.0.0.1:9192', ...]`. */
  get brokers(): string[] {
    return this.nodes.flatMap((node) => node.brokers);
  }

  /** The node with KRaft id `nodeId` (1-based). */
  node(nodeId: number): KafkaBroker {
    const node = this.nodes[nodeId - 1];
    if (!node) throw new Error(`no Kafka node ${nodeId} (the cluster has ${this.nodes.length})`);
    return node;
  }

  /**
   * Starts every node that is not running, in parallel, and resolves once the cluster serves
   * clients (metadata, group coordinator, producer ids). If a node fails to start, the nodes this
   * call started are stopped and the error is rethrown (the signal's reason when aborted).
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.ensureClusterId();
    const stopped = this.nodes.filter((node) => !node.running);
    const results = await Promise.allSettled(stopped.map((node) => node.start(options)));
    const failed = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    if (failed.length === 0) {
      const readiness = await waitForKafka(this.brokers, {
        timeoutMs: this.startTimeoutMs,
        abortReason: () => (options.signal?.aborted ? 'start aborted' : undefined),
      });
      if (readiness.ok) return;
      failed.push(
        new DevstackError(
          `The ${this.nodes.length}-node Kafka cluster on ${this.brokers.join(',')} did not ` +
            `serve clients: ${readiness.reason}.`,
          { hint: `Read the node logs in ${this.dataDir}/node-*/kafka.log.` },
        ),
      );
    }
    await Promise.all(stopped.map((node) => node.stop()));
    if (options.signal?.aborted) throw options.signal.reason;
    throw failed[0];
  }

  /**
   * Starts one stopped node (after {@link KafkaBroker.kill} or `stop`) and resolves once it
   * answers metadata again; its replicas may still be catching up (not yet in the ISR).
   */
  async startNode(nodeId: number): Promise<void> {
    await this.ensureClusterId();
    await this.node(nodeId).start();
  }

  /** Stops every node gracefully, in parallel. Safe to call when not running. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  /** Writes the cluster id before any node is formatted with it. */
  private async ensureClusterId(): Promise<void> {
    if (existsSync(this.clusterIdFile)) return;
    await mkdir(this.dataDir, { recursive: true });
    await writeFile(this.clusterIdFile, `${this.clusterId}\n`);
  }
}
