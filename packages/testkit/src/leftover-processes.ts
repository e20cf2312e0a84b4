import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Ids of the processes whose command line mentions `folder`, or whose working directory is in
 * it (Linux `/proc`; `[]` elsewhere). With a run's unique temp folder, these are servers this
 * run started: the JVM's config path and the postmaster's `-D` are inside it.
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
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(folder)) {
        pids.push(Number(entry));
      } else if (workingDirectory(entry)?.startsWith(folder)) {
        pids.push(Number(entry));
      }
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

function workingDirectory(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}
