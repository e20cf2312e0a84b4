import { describe, expect, it } from 'vitest';
import { ReplayProgress } from '../src/replay-progress.js';

const offsets = [
  { partition: 1, low: '0', high: '100' },
  { partition: 0, low: '50', high: '80' },
  { partition: 2, low: '0', high: '0' },
];

describe('ReplayProgress', () => {
  it('starts each partition at its checkpoint, or at the low watermark past it, sorted', () => {
    const partitions = ReplayProgress.partitionsOf(
      offsets,
      new Map([
        [1, '40'],
        [0, '10'],
      ]),
    );
    expect(partitions).toEqual([
      { partition: 0, low: 50n, from: 50n, end: 80n },
      { partition: 1, low: 0n, from: 40n, end: 100n },
      { partition: 2, low: 0n, from: 0n, end: 0n },
    ]);
    expect(new ReplayProgress(partitions, 0).total).toBe(30 + 60);
  });

  it('counts what is applied up to the end offsets only, and never goes back', () => {
    const progress = new ReplayProgress(ReplayProgress.partitionsOf(offsets, new Map()), 0);
    expect(progress.total).toBe(130);
    expect(progress.caughtUp()).toBe(false);
    progress.applied(1, '60', 1);
    progress.applied(1, '30', 2); // a redelivered, older batch
    expect(progress.done()).toBe(60);
    progress.applied(0, '200', 3); // events that arrived after the start
    expect(progress.done()).toBe(90);
    expect(progress.caughtUp()).toBe(false);
    progress.applied(1, '100', 4);
    expect(progress.done()).toBe(130);
    expect(progress.caughtUp()).toBe(true);
  });

  it('is caught up at once when there is nothing to replay', () => {
    const progress = new ReplayProgress(
      ReplayProgress.partitionsOf([{ partition: 0, low: '5', high: '5' }], new Map()),
      0,
    );
    expect(progress.total).toBe(0);
    expect(progress.caughtUp()).toBe(true);
  });

  it('rates over the last ~5 s of samples, with an ETA once there is a rate', () => {
    const progress = new ReplayProgress([{ partition: 0, low: 0n, from: 0n, end: 1000n }], 0);
    expect(progress.sample(0)).toEqual({
      done: 0,
      total: 1000,
      perSecond: 0,
      etaSeconds: null,
      elapsedSeconds: 0,
    });
    progress.applied(0, '100', 1000);
    expect(progress.sample(1000)).toMatchObject({ done: 100, perSecond: 100, etaSeconds: 9 });
    progress.applied(0, '200', 10_000);
    // The samples older than 5 s are dropped (two kept at least): 100 in the last 9 s.
    expect(progress.sample(10_000)).toMatchObject({ done: 200, perSecond: 11, elapsedSeconds: 10 });
    progress.applied(0, '800', 11_000);
    expect(progress.sample(11_000)).toMatchObject({ done: 800, perSecond: 600, etaSeconds: 1 });
  });

  it('replay rate leaves the group join out (from the first batch on)', () => {
    const progress = new ReplayProgress([{ partition: 0, low: 0n, from: 0n, end: 1000n }], 0);
    progress.applied(0, '100', 4000); // the first batch, 4 s after the start
    progress.applied(0, '1000', 6000);
    expect(progress.rates(6000)).toEqual({ seconds: 6, replayPerSecond: 450 });
  });

  it('without any batch, the replay rate is the overall one', () => {
    const progress = new ReplayProgress([{ partition: 0, low: 0n, from: 0n, end: 0n }], 0);
    expect(progress.rates(2000)).toEqual({ seconds: 2, replayPerSecond: 0 });
  });
});
