import { describe, expect, it } from 'vitest';
import { commonPositions } from '../src/compare-versions.js';

const row = (version: number, partition: number, nextOffset: string) => ({
  version,
  partition,
  nextOffset,
});

describe('commonPositions', () => {
  it('takes per partition the lower checkpoint of the two versions, sorted by partition', () => {
    expect(
      commonPositions([row(2, 1, '50'), row(1, 1, '70'), row(1, 0, '10'), row(2, 0, '30')], 1, 2),
    ).toEqual([
      { partition: 0, offset: '10' },
      { partition: 1, offset: '50' },
    ]);
  });

  it('counts a partition one version has no checkpoint for as 0', () => {
    expect(commonPositions([row(1, 3, '9')], 1, 2)).toEqual([{ partition: 3, offset: '0' }]);
  });

  it('compares offsets as numbers, not strings', () => {
    expect(commonPositions([row(1, 0, '9'), row(2, 0, '10')], 1, 2)).toEqual([
      { partition: 0, offset: '9' },
    ]);
  });
});
