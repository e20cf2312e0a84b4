import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFolder } from './run-folder.js';
import { SCALE } from './scale.js';

/** One scenario's outcome, as it goes into the summary and docs/reliability.md. */
export interface ScenarioResult {
  /** 1..12, the numbering of docs/reliability.md. */
  number: number;
  title: string;
  /** What it did: `{ events: 10000, "broker SIGKILLs": 2, ... }`. */
  did: Record<string, number | string>;
  /** What it found: `{ lost: 0, duplicated: 0, ... }`. */
  found: Record<string, number | string>;
  /** The pass criteria, in words. */
  criteria: string;
  passed: boolean;
  seconds: number;
  notes?: string[];
}

/**
 * Prints a scenario's outcome and writes it to the run folder's results, from which the
 * global teardown writes the JSON summary and the table in docs/reliability.md.
 */
export function recordScenario(result: ScenarioResult): void {
  const line = (o: Record<string, number | string>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
      .join(', ');
  console.log(
    [
      `[reliability] scenario ${result.number} (${result.title}), scale ${SCALE}, ${result.seconds} s: ${result.passed ? 'PASSED' : 'FAILED'}`,
      `  did:   ${line(result.did)}`,
      `  found: ${line(result.found)}`,
      `  must:  ${result.criteria}`,
      ...(result.notes ?? []).map((n) => `  note:  ${n}`),
    ].join('\n'),
  );
  writeFileSync(
    join(runFolder(), 'results', `scenario-${result.number}.json`),
    JSON.stringify({ ...result, scale: SCALE }, null, 2),
  );
}

/** Seconds since `start` (performance.now()), two decimals. */
export function secondsSince(start: number): number {
  return Math.round((performance.now() - start) / 10) / 100;
}
