import { describe, expect, it } from 'vitest';
import { isolatePoison } from '../src/index.js';

const withCode = (code: string) => Object.assign(new Error('x'), { code });

/**
 * A fake store with savepoint semantics: `apply` appends a run unless a message in it is
 * poison (then it throws and appends nothing).
 */
function fakeStore(poison: Set<number>, error: (m: number) => unknown = () => withCode('22P02')) {
  const applied: number[] = [];
  const runs: number[][] = [];
  return {
    applied,
    runs,
    apply: async (run: readonly number[]) => {
      runs.push([...run]);
      const bad = run.find((m) => poison.has(m));
      if (bad !== undefined) throw error(bad);
      applied.push(...run);
    },
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('isolatePoison', () => {
  it('finds one poison in the middle of 500 messages and applies every other one once, in order', async () => {
    const messages = range(500);
    const store = fakeStore(new Set([250]));
    const result = await isolatePoison(messages, store.apply);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.poison.map((p) => p.message)).toEqual([250]);
    expect(result.poison[0]?.failure).toMatchObject({ kind: 'MESSAGE', code: '22P02' });
    expect(store.applied).toEqual(messages.filter((m) => m !== 250));
    // Bisection: about 2 log2(n) applies, not n.
    expect(result.trials).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(500)) + 1);
  });

  it('finds several poisons, first and last included', async () => {
    const messages = range(64);
    const bad = new Set([0, 17, 18, 63]);
    const store = fakeStore(bad);
    const result = await isolatePoison(messages, store.apply);
    expect(result.ok && result.poison.map((p) => p.message)).toEqual([0, 17, 18, 63]);
    expect(store.applied).toEqual(messages.filter((m) => !bad.has(m)));
  });

  it('a single failing message is poison; a clean batch is one apply', async () => {
    const one = await isolatePoison([7], fakeStore(new Set([7])).apply);
    expect(one.ok && one.poison.map((p) => p.message)).toEqual([7]);
    const clean = fakeStore(new Set());
    const all = await isolatePoison(range(10), clean.apply);
    expect(all).toMatchObject({ ok: true, poison: [], trials: 1 });
    expect(clean.applied).toEqual(range(10));
    expect(await isolatePoison([], clean.apply)).toMatchObject({ ok: true, trials: 0 });
  });

  it.each([['40P01'], ['08006'], ['42P01']])(
    'stops at a %s failure: not a message fault, nothing is blamed',
    async (code) => {
      const store = fakeStore(new Set([3]), () => withCode(code));
      const result = await isolatePoison(range(8), store.apply);
      expect(result).toMatchObject({ ok: false, reason: 'NOT_A_MESSAGE_FAULT' });
      expect(!result.ok && result.failure.code).toBe(code);
    },
  );

  it('calls afterTrial after every apply (the heartbeat)', async () => {
    let beats = 0;
    const result = await isolatePoison(range(16), fakeStore(new Set([5])).apply, {
      afterTrial: async () => {
        beats++;
      },
    });
    expect(beats).toBe(result.trials);
  });

  it('a run that fails only in context still narrows to the message that fails', async () => {
    // Message 5 fails only when 4 was applied before it (e.g. evolve on 4's state).
    const applied: number[] = [];
    const result = await isolatePoison(range(10), async (run) => {
      const seen = [...applied];
      for (const m of run) {
        if (m === 5 && (seen.includes(4) || run.includes(4))) throw new TypeError('state');
        seen.push(m);
      }
      applied.push(...run);
    });
    expect(result.ok && result.poison.map((p) => p.message)).toEqual([5]);
    expect(applied).toEqual(range(10).filter((m) => m !== 5));
  });
});
