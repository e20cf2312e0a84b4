import { describe, expect, it } from 'vitest';
import { rebuildWallTime } from './rebuild-wall-time.js';

describe('rebuildWallTime', () => {
  it('split the wall time into start, join, replay, check, swap, handoff and exit', () => {
    const e = (atMs: number, type: string, projector: string) => ({ atMs, type, projector });
    const { shares, exit } = rebuildWallTime(
      [
        e(1500, 'started', 'orders'),
        e(6500, 'caught-up', 'orders'),
        e(7000, 'verified', 'orders'),
        e(7100, 'activated', 'orders'),
        e(9100, 'handed-off', 'orders'),
        e(9600, 'started', 'refills'),
        e(12_600, 'caught-up', 'refills'),
        e(12_800, 'verified', 'refills'),
        e(12_900, 'activated', 'refills'),
        e(13_900, 'handed-off', 'refills'),
      ],
      new Map([
        ['orders', 4],
        ['refills', 2.5],
      ]),
      14_400,
    );
    expect(shares).toEqual([
      {
        projector: 'orders',
        beforeStart: 1.5,
        join: 1,
        replay: 4,
        check: 0.5,
        swap: 0.1,
        handoff: 2,
      },
      {
        projector: 'refills',
        beforeStart: 0.5,
        join: 0.5,
        replay: 2.5,
        check: 0.2,
        swap: 0.1,
        handoff: 1,
      },
    ]);
    expect(exit).toBe(0.5);
  });
});
