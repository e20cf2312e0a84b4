import { describe, expect, it } from 'vitest';
import { parseExposition } from './exposed-metrics.js';

describe('parseExposition', () => {
  it('offers typed metrics without samples, histogram series, and the label names of samples', () => {
    const text = [
      '# HELP a_total help',
      '# TYPE a_total counter',
      '# TYPE h histogram',
      'h_bucket{le="1",projector="orders"} 1',
      'g{x="a \\" b",y="2"} 3',
      '',
    ].join('\n');
    const metrics = parseExposition(text);
    expect([...metrics.keys()].sort()).toEqual(['a_total', 'g', 'h_bucket', 'h_count', 'h_sum']);
    expect([...(metrics.get('h_bucket') ?? [])].sort()).toEqual(['le', 'projector']);
    expect([...(metrics.get('g') ?? [])].sort()).toEqual(['x', 'y']);
    expect(metrics.get('a_total')?.size).toBe(0);
  });
});
