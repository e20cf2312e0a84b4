import { readdirSync, readFileSync } from 'node:fs';

/**
 * Ids of the processes whose command line mentions `folder` (Linux `/proc`; `[]` elsewhere).
 * With a run's unique temp folder, these are servers this run started: the JVM's config path
 * and the postmaster's `-D` are inside it.
 */
export function processesUsing(folder: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(folder)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/**
 * SIGKILLs the {@link processesUsing} `folder` and returns their ids: e.g. a dedicated broker
 * whose test file crashed before its `afterAll`.
 */
export function killProcessesUsing(folder: string): number[] {
  return processesUsing(folder).filter((pid) => {
    try {
      process.kill(pid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  });
}
