import { describe, expect, it } from 'vitest';
import { hashText, Random } from '../src/random.js';

describe('Random', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const random = new Random(seed);
      return Array.from({ length: 20 }, () => random.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    for (const value of draw(1)) expect(value >= 0 && value < 1).toBe(true);
  });

  it('draws integers in range, covering both ends', () => {
    const random = new Random(3);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(random.int(2, 5));
    expect([...seen].sort()).toEqual([2, 3, 4, 5]);
  });

  it('forks independent streams: drawing from a fork leaves the parent sequence alone', () => {
    const a = new Random(9);
    const b = new Random(9);
    const fork = b.fork('faults');
    for (let i = 0; i < 10; i++) fork.next();
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(
      Array.from({ length: 5 }, () => b.next()),
    );
    expect(new Random(9).fork('x').next()).toBe(new Random(9).fork('x').next());
    expect(hashText('a')).not.toBe(hashText('b'));
  });
});
