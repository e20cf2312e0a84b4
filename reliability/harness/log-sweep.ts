import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What {@link sweepLogs} found. */
export interface SweepReport {
  files: number;
  bytes: number;
  lines: number;
  /** `file:line: which secret` for every hit (the secret itself is never printed). */
  hits: string[];
}

function filesUnder(path: string): string[] {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return [];
  if (stat.isFile()) return [path];
  if (!stat.isDirectory()) return [];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

/**
 * Reads every file under `paths` (the processes' logs, the broker's and Postgres' logs) and
 * reports each line holding one of `secrets` (canary patient ids, names, addresses, medication
 * names, API keys). Hits name the secret's label, never its value.
 */
export function sweepLogs(
  paths: readonly string[],
  secrets: ReadonlyArray<{ label: string; value: string }>,
): SweepReport {
  const report: SweepReport = { files: 0, bytes: 0, lines: 0, hits: [] };
  const needles = secrets.filter((s) => s.value.length > 0);
  for (const file of paths.flatMap(filesUnder)) {
    const text = readFileSync(file, 'latin1');
    report.files++;
    report.bytes += text.length;
    const lines = text.split('\n');
    report.lines += lines.length;
    lines.forEach((line, index) => {
      for (const secret of needles) {
        if (line.includes(secret.value)) report.hits.push(`${file}:${index + 1}: ${secret.label}`);
      }
    });
  }
  return report;
}

/** A scenario's sweep as kept in the run folder (see sweep-record.ts). */
export interface RecordedSweep {
  scenario: string;
  secrets: Array<{ label: string; value: string }>;
  canaryValues: number;
  report: SweepReport;
}

/** Every sweep recorded in a run folder. */
export function recordedSweeps(dir: string): RecordedSweep[] {
  const sweeps = join(dir, 'sweeps');
  const stat = statSync(sweeps, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return [];
  return readdirSync(sweeps).map(
    (f) => JSON.parse(readFileSync(join(sweeps, f), 'utf8')) as RecordedSweep,
  );
}
