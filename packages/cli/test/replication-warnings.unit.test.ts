import { describe, expect, it } from 'vitest';
import { replicationWarnings } from '../src/replication-warnings.js';

const healthy = [
  { partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3] },
  { partition: 1, replicas: [2, 3, 1], isr: [2, 3, 1] },
];

describe('replicationWarnings', () => {
  it('says nothing about a healthy RF 3 topic on three brokers, or RF 1 on one broker', () => {
    expect(replicationWarnings('events', healthy, 3)).toEqual([]);
    expect(replicationWarnings('events', [{ partition: 0, replicas: [1], isr: [1] }], 1)).toEqual(
      [],
    );
  });

  it('names the under-replicated partitions', () => {
    const [warning, ...rest] = replicationWarnings(
      'events',
      [healthy[0] as (typeof healthy)[0], { partition: 1, replicas: [2, 3, 1], isr: [2] }],
      3,
    );
    expect(rest).toEqual([]);
    expect(warning).toMatch(/1 under-replicated partition \(1: 1\/3 in sync\)/);
  });

  it('reports a topic with RF 1 on a multi-broker cluster', () => {
    const warnings = replicationWarnings('events', [{ partition: 0, replicas: [2], isr: [2] }], 3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/replication factor 1 on a 3-broker cluster.*one node only/);
  });

  it('wants at most three copies on larger clusters', () => {
    expect(replicationWarnings('events', healthy, 5)).toEqual([]);
  });
});
