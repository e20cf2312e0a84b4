/**
 * A seeded pseudo-random generator (mulberry32) returning floats in [0, 1): the same seed gives
 * the same sequence on every machine, so a failing test, a corpus or a benchmark's events
 * reproduce. The one PRNG of tests, benchmarks and the reliability suite. The same algorithm
 * as the sandbox's `Random`, which the testkit cannot import: the sandbox's tests depend on the
 * testkit, and turbo refuses the cycle. Not for secrets.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
