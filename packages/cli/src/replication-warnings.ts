/** One partition's replicas as the cluster reports them. */
export interface PartitionReplicas {
  partition: number;
  /** Node ids holding a copy. */
  replicas: readonly number[];
  /** Node ids whose copy is in sync with the leader. */
  isr: readonly number[];
}

/**
 * What is wrong with a topic's replication on a cluster of `brokers` nodes: partitions with
 * fewer copies in sync than they have (under-replicated: a node is down or behind, and
 * another loss may stop writes or lose data), and a topic with fewer copies than the cluster
 * could hold, up to three (on a multi-broker cluster, replication factor 1 means one node's
 * disk is the only copy of an acknowledged event).
 */
export function replicationWarnings(
  topic: string,
  partitions: readonly PartitionReplicas[],
  brokers: number,
): string[] {
  const warnings: string[] = [];
  const under = partitions.filter((p) => p.isr.length < p.replicas.length);
  if (under.length > 0) {
    warnings.push(
      `${topic} has ${under.length} under-replicated partition${under.length === 1 ? '' : 's'} ` +
        `(${under.map((p) => `${p.partition}: ${p.isr.length}/${p.replicas.length} in sync`).join(', ')}): ` +
        'a node is down or behind; check the brokers.',
    );
  }
  const factor = Math.min(...partitions.map((p) => p.replicas.length));
  const wanted = Math.min(brokers, 3);
  if (partitions.length > 0 && factor < wanted) {
    warnings.push(
      `${topic} has replication factor ${factor} on a ${brokers}-broker cluster: an ` +
        `acknowledged event may exist on ${factor === 1 ? 'one node only' : `${factor} nodes only`}. ` +
        `Recreate it with replication factor ${wanted} (see docs/topic-contract.md).`,
    );
  }
  return warnings;
}
