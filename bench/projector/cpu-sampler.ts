import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds per process group, from /proc (Linux); empty elsewhere. */
export type CpuSnapshot = Map<string, number>;

/** Which processes make up a group: the process itself, or it and all its descendants. */
export interface CpuGroup {
  name: string;
  pid: number | undefined;
  descendants: boolean;
}

/** Sync reads: a snapshot must be taken at once, even while the event loop is busy. */
function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

// USER_HZ: 100 on every Linux architecture Node supports.
const TICKS_PER_SECOND = 100;

function processTable(): Map<number, { ppid: number; ticks: number; reaped: number }> {
  const table = new Map<number, { ppid: number; ticks: number; reaped: number }>();
  for (const entry of readOr(() => readdirSync('/proc'), [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOr(() => readFileSync(`/proc/${entry}/stat`, 'utf8'), undefined);
    if (stat === undefined) continue;
    // Fields after the command (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(entry), {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      // cutime + cstime: CPU of exited children it reaped (e.g. Postgres backends whose pool
      // connection closed), counted for groups with descendants.
      reaped: Number(fields[13]) + Number(fields[14]),
    });
  }
  return table;
}

function machineBusySeconds(): number {
  const stat = readOr(() => readFileSync('/proc/stat', 'utf8'), '');
  const cpu = stat.split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
  const busy = cpu.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
  return busy / TICKS_PER_SECOND;
}

/** CPU seconds used so far by each group, plus `machine` (all CPUs, busy time). */
export function cpuSnapshot(groups: readonly CpuGroup[]): CpuSnapshot {
  const table = processTable();
  const snapshot: CpuSnapshot = new Map([['machine', machineBusySeconds()]]);
  for (const group of groups) {
    if (group.pid === undefined) continue;
    let ticks = 0;
    const pending = [group.pid];
    while (pending.length > 0) {
      const pid = pending.pop()!;
      ticks += table.get(pid)?.ticks ?? 0;
      if (!group.descendants) continue;
      ticks += table.get(pid)?.reaped ?? 0;
      for (const [child, info] of table) if (info.ppid === pid) pending.push(child);
    }
    snapshot.set(group.name, ticks / TICKS_PER_SECOND);
  }
  return snapshot;
}

/** Cores used by each group between two snapshots taken `seconds` apart. */
export function coresUsed(
  before: CpuSnapshot,
  after: CpuSnapshot,
  seconds: number,
): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, value] of after) {
    result[name] = Number(((value - (before.get(name) ?? 0)) / seconds).toFixed(2));
  }
  return result;
}

/**
 * CPU use over a measured window whose start and end are known only as events (the first
 * batch of a run, the last partition done), possibly from several consumers.
 */
export class CpuWindow {
  private before: CpuSnapshot | undefined;
  private after: CpuSnapshot | undefined;
  private startedAt = 0;
  private endedAt = 0;
  private finishes = 0;

  private readonly groups: CpuGroup[];

  constructor(
    groups: readonly CpuGroup[],
    private readonly expectedFinishes = 1,
  ) {
    this.groups = [...groups];
  }

  /** Adds groups (before the window starts, e.g. processes forked for the run). */
  add(groups: readonly CpuGroup[]): void {
    this.groups.push(...groups);
  }

  /** The window starts at the first call. */
  started(): void {
    if (this.before !== undefined) return;
    this.startedAt = performance.now();
    this.before = cpuSnapshot(this.groups);
  }

  /** The window ends at the `expectedFinishes`-th call. */
  finished(): void {
    this.finishes += 1;
    if (this.finishes !== this.expectedFinishes || this.before === undefined) return;
    this.endedAt = performance.now();
    this.after = cpuSnapshot(this.groups);
  }

  /** Cores used per group over the window (empty if it never started or ended). */
  cores(): Record<string, number> {
    if (this.before === undefined || this.after === undefined) return {};
    const cores = coresUsed(this.before, this.after, (this.endedAt - this.startedAt) / 1000);
    // The groups do not overlap; the rest of the machine is other people's work.
    const ours = Object.entries(cores).reduce(
      (sum, [name, v]) => (name === 'machine' ? sum : sum + v),
      0,
    );
    cores['others'] = Number(((cores['machine'] ?? 0) - ours).toFixed(2));
    return cores;
  }
}

/**
 * Waits (up to `maxWaitMs`) until processes outside `groups` use less than `maxOtherCores`
 * over a one-second sample: the machine may be shared, and a benchmark measured while
 * something else saturates the CPUs measures that something. Returns the last sample.
 */
export async function waitForQuiet(
  groups: readonly CpuGroup[],
  maxOtherCores: number,
  maxWaitMs: number,
): Promise<{ otherCores: number; waitedMs: number }> {
  const started = performance.now();
  for (;;) {
    const before = cpuSnapshot(groups);
    const sampledAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const cores = coresUsed(before, cpuSnapshot(groups), (performance.now() - sampledAt) / 1000);
    const ours = Object.entries(cores).reduce(
      (sum, [name, v]) => (name === 'machine' ? sum : sum + v),
      0,
    );
    const otherCores = Number(((cores['machine'] ?? 0) - ours).toFixed(2));
    const waitedMs = Math.round(performance.now() - started);
    if (otherCores < maxOtherCores || waitedMs >= maxWaitMs) return { otherCores, waitedMs };
  }
}
