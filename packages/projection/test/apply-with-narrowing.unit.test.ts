import { describe, expect, it } from 'vitest';
import { type AttemptResult, applyWithNarrowing, narrowable } from '../src/apply-with-narrowing.js';
import type { Failure } from '../src/classify-failure.js';

const failure = (kind: Failure['kind']): Failure => ({ kind, code: 'X', description: 'x' });

/** Attempts that answer from `results` in turn and record whether each isolated. */
function attempts(results: AttemptResult<string>[]) {
  const calls: boolean[] = [];
  const attempt = async (isolate: boolean) => {
    calls.push(isolate);
    const result = results.shift();
    if (!result) throw new Error('no more results');
    return result;
  };
  return { calls, attempt };
}

const ok: AttemptResult<string> = { ok: true, outcome: 'applied' };
const fail = (kind: Failure['kind']): AttemptResult<string> => ({
  ok: false,
  failure: failure(kind),
});

describe('applyWithNarrowing', () => {
  it('applies a batch that passes once', async () => {
    const { calls, attempt } = attempts([ok]);
    expect(await applyWithNarrowing(attempt, { stillOwned: () => true })).toEqual(ok);
    expect(calls).toEqual([false]);
  });

  it.each(['TRANSIENT', 'ENVIRONMENT'] as const)(
    'returns a %s failure at once, never narrowing (no message is to blame)',
    async (kind) => {
      const { calls, attempt } = attempts([fail(kind)]);
      const result = await applyWithNarrowing(attempt, { stillOwned: () => true });
      expect(result).toEqual(fail(kind));
      expect(calls).toEqual([false]);
    },
  );

  it.each(['MESSAGE', 'UNKNOWN'] as const)(
    'retries a %s failure once as it is, then narrows the batch',
    async (kind) => {
      const { calls, attempt } = attempts([fail(kind), fail(kind), ok]);
      const retries: string[] = [];
      const result = await applyWithNarrowing(attempt, {
        stillOwned: () => true,
        onRetry: (f, next) => retries.push(`${f.kind}: ${next}`),
      });
      expect(result).toEqual(ok);
      expect(calls).toEqual([false, false, true]);
      expect(retries).toEqual([`${kind}: retrying once`, `${kind}: narrowing the batch`]);
    },
  );

  it('does not narrow a batch that passes on its retry', async () => {
    const { calls, attempt } = attempts([fail('UNKNOWN'), ok]);
    expect(await applyWithNarrowing(attempt, { stillOwned: () => true })).toEqual(ok);
    expect(calls).toEqual([false, false]);
  });

  it('stops at a transient failure met while retrying', async () => {
    const { calls, attempt } = attempts([fail('MESSAGE'), fail('TRANSIENT')]);
    expect(await applyWithNarrowing(attempt, { stillOwned: () => true })).toEqual(
      fail('TRANSIENT'),
    );
    expect(calls).toEqual([false, false]);
  });

  it('returns the narrowed attempt’s failure (no third retry)', async () => {
    const { calls, attempt } = attempts([fail('MESSAGE'), fail('MESSAGE'), fail('UNKNOWN')]);
    expect(await applyWithNarrowing(attempt, { stillOwned: () => true })).toEqual(fail('UNKNOWN'));
    expect(calls).toEqual([false, false, true]);
  });

  it('tries nothing more once the partition is no longer owned', async () => {
    const { calls, attempt } = attempts([fail('MESSAGE')]);
    expect(await applyWithNarrowing(attempt, { stillOwned: () => false })).toEqual(fail('MESSAGE'));
    expect(calls).toEqual([false]);
  });

  it('narrowable: MESSAGE and UNKNOWN only', () => {
    expect(
      (['TRANSIENT', 'ENVIRONMENT', 'MESSAGE', 'UNKNOWN'] as const).filter((k) =>
        narrowable(failure(k)),
      ),
    ).toEqual(['MESSAGE', 'UNKNOWN']);
  });
});
