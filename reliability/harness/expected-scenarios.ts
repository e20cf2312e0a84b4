import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCENARIOS_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

/** Scenario 8 is no test file of its own: the global teardown's sweep of every log. */
const TEARDOWN_SCENARIOS = [8];

/**
 * The numbers of every scenario the suite has: the `number:` each scenario file passes to
 * `recordScenario`, plus the teardown's. A run whose results lack one of them is incomplete: a
 * scenario that threw before recording (its broker never started, say) must not vanish from the
 * summary and leave it saying "all passed".
 */
export function expectedScenarioNumbers(dir: string = SCENARIOS_DIR): number[] {
  const numbers = new Set(TEARDOWN_SCENARIOS);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.rel.test.ts'))) {
    const match = /\bnumber:\s*(\d+),/.exec(readFileSync(join(dir, file), 'utf8'));
    if (match?.[1]) numbers.add(Number(match[1]));
  }
  return [...numbers].sort((a, b) => a - b);
}

/** The expected scenarios that have no result. */
export function missingScenarios(
  expected: readonly number[],
  recorded: readonly { number: number }[],
): number[] {
  const have = new Set(recorded.map((r) => r.number));
  return expected.filter((n) => !have.has(n));
}
