import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    reliabilityRunDir: string;
  }
}

/**
 * Where a reliability run keeps its evidence: one folder per run (logs of every process, the
 * per-scenario results), kept after the run so an engineer can read what happened. The global
 * setup creates it and provides it to the scenario files.
 */
export function runFolder(): string {
  const dir = inject('reliabilityRunDir');
  if (!dir) {
    throw new Error(
      'No reliability run folder: run the scenarios with `npm run test:reliability` ' +
        "(the reliability project's global setup creates it).",
    );
  }
  return dir;
}

/** A scenario's own log folder inside the run folder. */
export function scenarioLogFolder(scenario: string): string {
  const dir = join(runFolder(), 'logs', scenario);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fresh run folder name under the system temp folder. */
export function newRunFolder(): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(tmpdir(), 'novamed-stream', `reliability-${stamp}`);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'results'), { recursive: true });
  return dir;
}
