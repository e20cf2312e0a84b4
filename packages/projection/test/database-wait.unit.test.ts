import { describe, expect, it } from 'vitest';
import { isTransientDatabaseError, silentLogger, untilDatabaseReachable } from '../src/index.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isTransientDatabaseError', () => {
  it.each([['ECONNREFUSED'], ['ECONNRESET'], ['57P03'], ['08006'], ['08001']])(
    '%s is an outage',
    (code) => {
      expect(isTransientDatabaseError(withCode(code))).toBe(true);
    },
  );
  it.each([['28P01'], ['3D000'], ['42P01'], ['23505']])('%s is not', (code) => {
    expect(isTransientDatabaseError(withCode(code))).toBe(false);
  });
  it('looks through cause chains, and not at plain errors', () => {
    expect(isTransientDatabaseError(new Error('x', { cause: withCode('ECONNREFUSED') }))).toBe(
      true,
    );
    expect(isTransientDatabaseError(new Error('boom'))).toBe(false);
    expect(isTransientDatabaseError(undefined)).toBe(false);
  });
});

describe('untilDatabaseReachable', () => {
  it('retries outages until the step succeeds', async () => {
    let calls = 0;
    const value = await untilDatabaseReachable(
      async () => {
        calls++;
        if (calls < 3) throw withCode('ECONNREFUSED');
        return 'up';
      },
      { timeoutMs: 10_000, logger: silentLogger },
    );
    expect(value).toBe('up');
    expect(calls).toBe(3);
  });
  it('throws other errors at once', async () => {
    let calls = 0;
    await expect(
      untilDatabaseReachable(
        async () => {
          calls++;
          throw withCode('28P01', 'password authentication failed');
        },
        { timeoutMs: 10_000, logger: silentLogger },
      ),
    ).rejects.toThrow(/password/);
    expect(calls).toBe(1);
  });
  it('gives up after the timeout, and stops when aborted', async () => {
    await expect(
      untilDatabaseReachable(
        async () => {
          throw withCode('ECONNREFUSED');
        },
        { timeoutMs: 300, logger: silentLogger },
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const controller = new AbortController();
    controller.abort(new Error('stopping'));
    await expect(
      untilDatabaseReachable(async () => 1, {
        timeoutMs: 1000,
        logger: silentLogger,
        signal: controller.signal,
      }),
    ).rejects.toThrow(/stopping/);
  });
});
