import { describe, expect, it } from 'vitest';
import { backoffDelay, LagMonitor } from '../src/index.js';

describe('LagMonitor', () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('is healthy while lag shrinks, and with no lag however long', () => {
    const c = clock();
    const monitor = new LagMonitor(1000, c.now);
    monitor.observe(0, 100n);
    c.advance(900);
    monitor.observe(0, 50n);
    c.advance(900);
    expect(monitor.health()).toEqual({ healthy: true });
    monitor.observe(0, 0n);
    c.advance(60_000);
    expect(monitor.health()).toEqual({ healthy: true });
  });

  it('is unhealthy when lag has not shrunk for the stall time', () => {
    const c = clock();
    const monitor = new LagMonitor(1000, c.now);
    monitor.observe(3, 10n);
    c.advance(500);
    monitor.observe(3, 12n);
    c.advance(600);
    expect(monitor.health()).toEqual({
      healthy: false,
      reason: 'STALLED',
      partitions: [3],
      lag: 12,
      stalledForMs: 1100,
    });
  });

  it('starts the stall clock when lag appears after being caught up', () => {
    const c = clock();
    const monitor = new LagMonitor(1000, c.now);
    monitor.observe(0, 0n);
    c.advance(60_000);
    monitor.observe(0, 40n);
    expect(monitor.health().healthy).toBe(true);
    c.advance(1000);
    monitor.observe(0, 40n);
    expect(monitor.health()).toMatchObject({ healthy: false, stalledForMs: 1000 });
  });

  it('forgets partitions after a rebalance', () => {
    const c = clock();
    const monitor = new LagMonitor(1000, c.now);
    monitor.observe(1, 5n);
    c.advance(2000);
    monitor.retain([0]);
    expect(monitor.health().healthy).toBe(true);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially and stays within the cap', () => {
    const max = () => 1;
    expect(backoffDelay(1, 100, 10_000, max)).toBe(100);
    expect(backoffDelay(4, 100, 10_000, max)).toBe(800);
    expect(backoffDelay(30, 100, 10_000, max)).toBe(10_000);
    expect(backoffDelay(30, 100, 10_000, () => 0)).toBe(5000);
  });
});
