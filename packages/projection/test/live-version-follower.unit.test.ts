import { describe, expect, it } from 'vitest';
import { LiveVersionFollower, type LiveVersionInfo } from '../src/index.js';

function follower(live: () => LiveVersionInfo | undefined, options: { failSwitch?: boolean } = {}) {
  const switches: number[] = [];
  const f = new LiveVersionFollower({
    version: 1,
    fingerprint: 'logic-a',
    readLive: async () => live(),
    switchTo: async (v) => {
      if (options.failSwitch) throw new Error('broker down');
      switches.push(v);
    },
    now: () => 1000,
  });
  return { f, switches };
}

describe('LiveVersionFollower', () => {
  it('stays while the live version is its own', async () => {
    const { f, switches } = follower(() => ({ version: 1, fingerprint: 'logic-a' }));
    await f.check();
    expect(switches).toEqual([]);
    expect(f.state).toEqual({ status: 'following', version: 1 });
  });

  it('switches to a new live version built by the same logic (or of unknown logic)', async () => {
    let live: LiveVersionInfo = { version: 2, fingerprint: 'logic-a' };
    const { f, switches } = follower(() => live);
    await f.check();
    expect(switches).toEqual([2]);
    expect(f.version).toBe(2);
    live = { version: 3, fingerprint: null };
    await f.check();
    await f.check();
    expect(switches).toEqual([2, 3]);
    expect(f.state).toEqual({ status: 'following', version: 3 });
  });

  it('does not write a version built by other logic, and says so', async () => {
    const { f, switches } = follower(() => ({ version: 2, fingerprint: 'logic-b' }));
    await f.check();
    expect(switches).toEqual([]);
    expect(f.version).toBe(1);
    expect(f.state).toEqual({
      status: 'logic-mismatch',
      version: 1,
      liveVersion: 2,
      sinceMs: 1000,
    });
  });

  it('keeps its version when a switch fails, and tries again next time', async () => {
    const { f } = follower(() => ({ version: 2, fingerprint: 'logic-a' }), { failSwitch: true });
    await f.check();
    expect(f.version).toBe(1);
  });

  it('ignores a missing live version and a failed read', async () => {
    let fail = false;
    const { f, switches } = follower(() => {
      if (fail) throw new Error('db down');
      return undefined;
    });
    await f.check();
    fail = true;
    await f.check();
    expect(switches).toEqual([]);
    expect(f.version).toBe(1);
  });

  it('runs one check at a time', async () => {
    let reads = 0;
    const f = new LiveVersionFollower({
      version: 1,
      fingerprint: 'a',
      readLive: async () => {
        reads++;
        await new Promise((r) => setTimeout(r, 20));
        return undefined;
      },
      switchTo: async () => {},
    });
    await Promise.all([f.check(), f.check(), f.check()]);
    expect(reads).toBe(1);
  });
});
