import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * The one shape every benchmark writes to `bench/results/<bench>.json`, so that
 * docs/benchmarks.md can be generated from results rather than copied by hand: the tables as
 * printed, each target with its measured figure and verdict, whether every answer was right,
 * and how loaded the machine was while it ran.
 */
export interface BenchResult {
  /** File stem and section: 'ingress', 'projector', 'freshness', 'rebuild'. */
  bench: string;
  /** ISO time the run ended. */
  at: string;
  /** `git rev-parse --short HEAD` of the measured code, with `+dirty` when the tree had changes. */
  commit: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  /** os.loadavg() (1, 5, 15 min) when the run started and when it ended. */
  loadAverage: { start: number[]; end: number[] };
  /** The knobs the run used (connections, durations, event counts, rounds...). */
  settings: Record<string, unknown>;
  /** False when any variant gave a wrong answer; the run then also exits non-zero. */
  correct: boolean;
  /** What was checked for correctness, and any mismatch found, in plain words. */
  correctness: string[];
  tables: BenchTable[];
  targets: BenchTarget[];
  /** Free notes printed under the tables (caveats measured in this run, not opinions). */
  notes: string[];
}

/** A table as printed: header cells and rows of cells (numbers already rounded for reading). */
export interface BenchTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

/** One goal: e.g. `{ name: 'c/bare', goal: '>= 0.5', measured: 0.43, unit: 'x', met: false }`. */
export interface BenchTarget {
  name: string;
  /** What the figure is, in words a reader of docs/benchmarks.md understands. */
  description: string;
  /** The goal as a comparison: '>= 0.5', '<= 250'. */
  goal: string;
  measured: number;
  unit: string;
  met: boolean;
}

/** The parts of {@link BenchResult} that describe the machine and the code, filled in for you. */
export function benchContext(): Pick<BenchResult, 'commit' | 'machine'> {
  return {
    commit: currentCommit(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
  };
}

/** The load average now, rounded to two decimals. */
export function loadAverageNow(): number[] {
  return loadavg().map((n) => Math.round(n * 100) / 100);
}

function currentCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
        encoding: 'utf8',
      }).trim() !== '';
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

/** Prints each target as MET or MISSED, one line each. */
export function printTargets(targets: readonly BenchTarget[]): void {
  for (const t of targets) {
    console.log(
      `${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.measured}${t.unit} (goal ${t.goal}${t.unit}) - ${t.description}`,
    );
  }
}

/**
 * Writes `bench/results/<bench>.json` and sets a non-zero exit code when the run gave a wrong
 * answer (a benchmark that prints MISMATCH and exits 0 is a benchmark nobody reads).
 */
export async function writeBenchResult(result: BenchResult): Promise<string> {
  const file = fileURLToPath(new URL(`./results/${result.bench}.json`, import.meta.url));
  await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  if (!result.correct) {
    console.error(`WRONG ANSWER in bench ${result.bench}: ${result.correctness.join('; ')}`);
    process.exitCode = 1;
  }
  return file;
}
