import { readdirSync, readFileSync } from 'node:fs';
import { pollUntil } from '@novamed-stream/service-kit';

/**
 * Process ids whose parent is `pid`, read from `/proc` (Linux). Returns `[]` where `/proc` is
 * not available.
 */
export function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat?.ppid === pid) children.push(Number(entry));
  }
  return children;
}

/**
 * True while `pid` exists and is not a zombie (a zombie's resources are released; it only waits
 * for its parent to collect its exit status).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return readProcStat(pid)?.state !== 'Z';
}

/** Waits until none of `pids` is alive, up to `timeoutMs`; returns the ones still alive. */
export async function waitForPidsToExit(
  pids: readonly number[],
  timeoutMs: number,
): Promise<number[]> {
  let alive = pids.filter(isProcessAlive);
  await pollUntil(
    async () => {
      alive = alive.filter(isProcessAlive);
      return alive.length === 0
        ? { status: 'done', value: true }
        : { status: 'wait', reason: 'still alive' };
    },
    { timeoutMs, intervalMs: 50 },
  );
  return alive;
}

function readProcStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}
