import { describe, expect, it } from 'vitest';
import { pollUntil, retry } from '../src/index.js';

describe('retry', () => {
  it('retries until the operation succeeds, reporting each failure', async () => {
    const failures: number[] = [];
    const value = await retry(
      async (attempt) => {
        if (attempt < 3) throw new Error(`attempt ${attempt}`);
        return attempt;
      },
      { minDelayMs: 1, maxDelayMs: 5, onRetry: (_error, attempt) => failures.push(attempt) },
    );
    expect(value).toBe(3);
    expect(failures).toEqual([1, 2]);
  });

  it('throws at once when shouldRetry refuses, and the last error when out of time', async () => {
    let attempts = 0;
    await expect(
      retry(
        async () => {
          attempts++;
          throw new Error('fatal');
        },
        { minDelayMs: 1, maxDelayMs: 1, shouldRetry: () => false },
      ),
    ).rejects.toThrow('fatal');
    expect(attempts).toBe(1);
    await expect(
      retry(
        async () => {
          throw new Error('still down');
        },
        { minDelayMs: 20, maxDelayMs: 20, timeoutMs: 100 },
      ),
    ).rejects.toThrow('still down');
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop requested')), 50);
    await expect(
      retry(
        async () => {
          throw new Error('down');
        },
        { minDelayMs: 1000, maxDelayMs: 1000, signal: controller.signal },
      ),
    ).rejects.toThrow('stop requested');
  });
});

describe('pollUntil', () => {
  it('returns the value once done, treating throws as not yet', async () => {
    let looks = 0;
    const outcome = await pollUntil(
      async () => {
        looks++;
        if (looks === 1) throw new Error('refused');
        return looks < 3 ? { status: 'wait', reason: 'starting' } : { status: 'done', value: 'up' };
      },
      { timeoutMs: 5000, intervalMs: 1 },
    );
    expect(outcome).toEqual({ ok: true, value: 'up' });
  });

  it('times out with the last reason, and stops at once on stop', async () => {
    await expect(
      pollUntil(async () => ({ status: 'wait', reason: 'no leader' }), {
        timeoutMs: 50,
        intervalMs: 10,
      }),
    ).resolves.toEqual({ ok: false, reason: 'TIMEOUT', detail: 'no leader' });
    const started = Date.now();
    await expect(
      pollUntil(async () => ({ status: 'stop', reason: 'exited' }), {
        timeoutMs: 5000,
        intervalMs: 1000,
      }),
    ).resolves.toEqual({ ok: false, reason: 'STOPPED', detail: 'exited' });
    expect(Date.now() - started).toBeLessThan(500);
  });
});
