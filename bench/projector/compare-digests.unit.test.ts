import { describe, expect, it } from 'vitest';
import { compareDigests } from './compare-digests.js';

const expected = { rows: 3, applied: 10, history: 10 };
const right = { rows: 3, applied: 10, history: 10, md5: 'aaaaaaaaaaaa' };

describe('compareDigests', () => {
  it('accept variants that all hold the expected counts and the same rows', () => {
    expect(
      compareDigests(expected, [
        ['a1', right],
        ['c3#1', { ...right }],
      ]),
    ).toEqual({ ok: true });
  });

  it('reject a variant whose rows differ, even with the right counts', () => {
    expect(
      compareDigests(expected, [
        ['a1', right],
        ['c3#1', { ...right, md5: 'bbbbbbbbbbbb' }],
      ]),
    ).toEqual({ ok: false, mismatches: ["c3#1: md5 bbbbbbbb differs from a1's"] });
  });

  it('reject counts that differ from the mix even when every variant agrees', () => {
    const applyTwice = { ...right, applied: 11 };
    expect(
      compareDigests(expected, [
        ['a1', applyTwice],
        ['c1', applyTwice],
      ]),
    ).toEqual({
      ok: false,
      mismatches: ['a1: applied 11, expected 10', 'c1: applied 11, expected 10'],
    });
  });
});
