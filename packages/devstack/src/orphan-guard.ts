import { spawn } from 'node:child_process';

/**
 * The guard's program, run with `node -e`: it reads `watch <pid> <signal>` lines on stdin. When
 * stdin ends without a `release` line first, its parent died without stopping what it started
 * (SIGKILL, OOM, a crash): it sends each watched process (newest first) its signal, waits up to
 * 10 s, then SIGKILLs what is left, and exits.
 */
const GUARD_PROGRAM = `
const watched = [];
let released = false;
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\\n')) >= 0) {
    const [verb, pid, signal] = buffer.slice(0, newline).split(' ');
    buffer = buffer.slice(newline + 1);
    if (verb === 'watch') watched.push({ pid: Number(pid), signal });
    if (verb === 'unwatch') watched.splice(0, watched.length, ...watched.filter((w) => w.pid !== Number(pid)));
    if (verb === 'release') released = true;
  }
});
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const send = (pid, signal) => { try { process.kill(-pid, signal); } catch { try { process.kill(pid, signal); } catch {} } };
process.stdin.on('close', async () => {
  if (released) process.exit(0);
  const order = watched.reverse();
  for (const { pid, signal } of order) send(pid, signal);
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline && order.some(({ pid }) => alive(pid))) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const { pid } of order) if (alive(pid)) send(pid, 'SIGKILL');
  process.exit(0);
});
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
`;

/** What {@link startOrphanGuard} returns. */
export interface OrphanGuard {
  /** Stop `pid` (and its process group, if it leads one) with `signal` if the host dies. */
  watch(pid: number | undefined, signal: NodeJS.Signals): void;
  /** Forget `pid` (it was stopped in order). */
  unwatch(pid: number | undefined): void;
  /** The host stopped everything itself: the guard exits without touching anything. */
  release(): void;
}

/**
 * Starts a small watchdog process that outlives its host and stops the processes the host
 * started if the host dies without stopping them (SIGKILL, OOM, a crash), so a dead
 * `npm start` never leaves a half system holding ports. Kafka's JVM and the Postgres postmaster
 * cannot watch a pipe themselves; the guard does it for them.
 */
export function startOrphanGuard(): OrphanGuard {
  const guard = spawn(process.execPath, ['-e', GUARD_PROGRAM], {
    stdio: ['pipe', 'ignore', 'ignore'],
    // Its own process group: the terminal's Ctrl-C must not end it before the host is done.
    detached: true,
  });
  guard.unref();
  const stdin = guard.stdin;
  stdin?.on('error', () => undefined);
  // The pipe must not keep the host alive; it closes when the host exits, however it exits.
  (stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const write = (line: string) => {
    if (stdin && !stdin.destroyed) stdin.write(`${line}\n`);
  };
  return {
    watch(pid, signal) {
      if (pid !== undefined) write(`watch ${pid} ${signal}`);
    },
    unwatch(pid) {
      if (pid !== undefined) write(`unwatch ${pid}`);
    },
    release() {
      write('release');
      stdin?.end();
    },
  };
}
