import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFolder } from './run-folder.js';
import { SCALE } from './scale.js';

/**
 * One of a scenario's checks: an assertion (`expect(...)`) that throws when the check fails.
 * Named once, evaluated once by {@link recordScenario}: its outcome is both what the summary
 * records and what the test asserts (through {@link assertVerdict}).
 */
export type ScenarioCheck = () => void;

/** A check's outcome as recorded in the results. */
export interface CheckOutcome {
  name: string;
  passed: boolean;
  /** The assertion's message (its first line, cut at 300 characters), when it failed. */
  failure?: string;
}

/** One scenario's outcome, as it goes into the summary and docs/reliability.md. */
export interface ScenarioResult {
  /** The numbering of docs/reliability.md (1..13). */
  number: number;
  title: string;
  /** What it did: `{ events: 10000, "broker SIGKILLs": 2, ... }`. */
  did: Record<string, number | string>;
  /** What it found: `{ lost: 0, duplicated: 0, ... }`. */
  found: Record<string, number | string>;
  /** The pass criteria, in words. */
  criteria: string;
  /** Every check, each with its outcome (absent in summaries written before checks existed). */
  checks?: CheckOutcome[];
  /** Whether every check passed: nothing else decides it. */
  passed: boolean;
  seconds: number;
  notes?: string[];
}

/** What a scenario hands to {@link recordScenario}: its figures and its named checks. */
export interface ScenarioRecord extends Omit<ScenarioResult, 'checks' | 'passed'> {
  /** The scenario's assertions, by name; all of them, evaluated in this order. */
  checks: Record<string, ScenarioCheck>;
}

/** A recorded scenario: its result, and the errors its failed checks threw (for the test). */
export interface ScenarioVerdict {
  result: ScenarioResult;
  errors: Map<string, unknown>;
}

/**
 * Runs every check (a failed one does not stop the others, like `expect.soft`) and returns
 * each outcome, with the errors of the failed ones.
 */
export function evaluateChecks(checks: Record<string, ScenarioCheck>): {
  outcomes: CheckOutcome[];
  errors: Map<string, unknown>;
} {
  const errors = new Map<string, unknown>();
  const outcomes = Object.entries(checks).map(([name, check]): CheckOutcome => {
    try {
      check();
      return { name, passed: true };
    } catch (error) {
      errors.set(name, error);
      const message = error instanceof Error ? error.message : String(error);
      return { name, passed: false, failure: (message.split('\n')[0] ?? '').slice(0, 300) };
    }
  });
  return { outcomes, errors };
}

/**
 * Evaluates a scenario's checks, prints its outcome and writes it to the run folder's results
 * (from which the global teardown writes the JSON summary and the table in
 * docs/reliability.md). `passed` is true exactly when every check passed. The test then calls
 * {@link assertVerdict}, so it fails exactly when the recorded verdict is a failure.
 */
export function recordScenario(record: ScenarioRecord): ScenarioVerdict {
  const { outcomes, errors } = evaluateChecks(record.checks);
  const result: ScenarioResult = {
    ...record,
    checks: outcomes,
    passed: outcomes.length > 0 && outcomes.every((o) => o.passed),
  };
  const line = (o: Record<string, number | string>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
      .join(', ');
  const failed = outcomes.filter((o) => !o.passed);
  console.log(
    [
      `[reliability] scenario ${result.number} (${result.title}), scale ${SCALE}, ${result.seconds} s: ${result.passed ? 'PASSED' : 'FAILED'} (${outcomes.length - failed.length}/${outcomes.length} checks)`,
      `  did:   ${line(result.did)}`,
      `  found: ${line(result.found)}`,
      `  must:  ${result.criteria}`,
      ...failed.map((o) => `  FAILED check: ${o.name}: ${o.failure}`),
      ...(result.notes ?? []).map((n) => `  note:  ${n}`),
    ].join('\n'),
  );
  writeFileSync(
    join(runFolder(), 'results', `scenario-${result.number}.json`),
    JSON.stringify({ ...result, scale: SCALE }, null, 2),
  );
  return { result, errors };
}

/**
 * Fails the test when any of the verdict's checks failed (all of them, or those named in
 * `names`), with every failed check's name and assertion message. A scenario without checks
 * fails too: a verdict must rest on something.
 */
export function assertVerdict(verdict: ScenarioVerdict, names?: readonly string[]): void {
  const checks = verdict.result.checks ?? [];
  const unknown = (names ?? []).filter((n) => !checks.some((c) => c.name === n));
  if (unknown.length > 0) throw new Error(`no such checks: ${unknown.join(', ')}`);
  const selected = names ? checks.filter((c) => names.includes(c.name)) : checks;
  if (selected.length === 0) throw new Error('no checks to assert');
  const failed = selected.filter((c) => !c.passed);
  if (failed.length === 0) return;
  const first = verdict.errors.get(failed[0]?.name ?? '');
  if (failed.length === 1 && first instanceof Error) throw first;
  throw new Error(
    `${failed.length} checks failed:\n${failed.map((c) => `- ${c.name}: ${c.failure}`).join('\n')}`,
    { cause: first },
  );
}

/** Seconds since `start` (performance.now()), two decimals. */
export function secondsSince(start: number): number {
  return Math.round((performance.now() - start) / 10) / 100;
}
