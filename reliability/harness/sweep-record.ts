import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedSweep, SweepReport } from './log-sweep.js';
import { runFolder } from './run-folder.js';

/** Keeps a scenario's sweep in the run folder, for the final sweep (secrets stay in /tmp). */
export function recordSweep(
  scenario: string,
  secrets: Array<{ label: string; value: string }>,
  report: SweepReport,
  canaryValues: number,
): void {
  const dir = join(runFolder(), 'sweeps');
  mkdirSync(dir, { recursive: true });
  const recorded: RecordedSweep = { scenario, secrets, canaryValues, report };
  writeFileSync(join(dir, `${scenario}.json`), JSON.stringify(recorded));
}
