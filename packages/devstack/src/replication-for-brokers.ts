/** Replication settings for topics on a cluster of a given size. */
export interface ReplicationSettings {
  /** Copies of each partition. */
  replicationFactor: number;
  /** Copies an acks=all write must reach before it is acknowledged. */
  minInsyncReplicas: number;
}

/**
 * The replication a cluster of `brokers` nodes gets by default: every node holds a copy up to
 * three, and with three or more nodes an acknowledged write is on two of them
 * (`min.insync.replicas` 2), so one node can fail without losing it or stopping writes. One or
 * two nodes keep min ISR 1: with 2 of 2, losing either node would stop every write.
 */
export function replicationForBrokers(brokers: number): ReplicationSettings {
  if (!Number.isInteger(brokers) || brokers < 1) {
    throw new RangeError(`a broker count must be a positive integer, got ${brokers}`);
  }
  return {
    replicationFactor: Math.min(brokers, 3),
    minInsyncReplicas: brokers >= 3 ? 2 : 1,
  };
}
