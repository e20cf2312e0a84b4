import { describe, expect, it } from 'vitest';
import { replicationForBrokers } from './replication-for-brokers.js';

describe('replicationForBrokers', () => {
  it('keeps one copy and min ISR 1 on a single broker', () => {
    expect(replicationForBrokers(1)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
  });

  it('uses RF 2 but min ISR 1 on two brokers (2 of 2 would stop writes when one fails)', () => {
    expect(replicationForBrokers(2)).toEqual({ replicationFactor: 2, minInsyncReplicas: 1 });
  });

  it('uses RF 3 and min ISR 2 from three brokers on', () => {
    expect(replicationForBrokers(3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(replicationForBrokers(5)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('refuses a count that is not a positive integer', () => {
    expect(() => replicationForBrokers(0)).toThrow(RangeError);
    expect(() => replicationForBrokers(1.5)).toThrow(RangeError);
  });
});
