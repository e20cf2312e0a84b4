import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../src/index.js';

describe('exceedsJsonDepth', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(exceedsJsonDepth('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(exceedsJsonDepth('{"a":[1,{"b":2}]}', 2)).toBe(true);
    expect(exceedsJsonDepth(`{"a":"${'['.repeat(1000)}"}`, 1)).toBe(false);
    expect(exceedsJsonDepth(`{"a":"\\"${'['.repeat(10)}"}`, 1)).toBe(false);
  });

  it('handles the 100,000-deep array of the incident without recursion', () => {
    const deep = `{"data":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    expect(exceedsJsonDepth(deep)).toBe(true);
    const ok = `{"data":{"x":${'['.repeat(MAX_JSON_DEPTH - 2)}${']'.repeat(MAX_JSON_DEPTH - 2)}}}`;
    expect(exceedsJsonDepth(ok)).toBe(false);
  });
});
