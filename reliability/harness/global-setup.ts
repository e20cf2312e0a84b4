import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { expectedScenarioNumbers, missingScenarios } from './expected-scenarios.js';
import { recordedSweeps, sweepLogs } from './log-sweep.js';
import { plantCanary, removePlantedCanary } from './planted-canary.js';
import { LAST_RUN_DIR } from './publish-results.js';
import { evaluateChecks, type ScenarioResult } from './report.js';
import { newRunFolder } from './run-folder.js';
import { SCALE } from './scale.js';

/**
 * Global setup of the `reliability` project: a run folder for the logs and results; at the end,
 * the JSON summary in the run folder and in `reliability/last-run/summary-<scale>.json` (ignored
 * by git: a test run leaves the working tree as it found it). Publishing it into the tracked
 * `reliability/results/` and docs/reliability.md is an explicit step:
 * `npm run reliability:publish`.
 */
export default function setup(project: TestProject): () => void {
  const dir = newRunFolder();
  project.provide('reliabilityRunDir', dir);
  console.log(`[reliability] scale ${SCALE}; logs and results in ${dir}`);
  return () => {
    const phi = finalSweep(dir);
    const results = readdirSync(join(dir, 'results'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(dir, 'results', f), 'utf8')) as ScenarioResult)
      .concat(phi ? [phi] : [])
      .sort((a, b) => a.number - b.number);
    if (results.length === 0) return;
    // A scenario that threw before recording its result is missing, not passed.
    const missing = missingScenarios(expectedScenarioNumbers(), results);
    const summary = {
      scale: SCALE,
      at: new Date().toISOString(),
      machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}, node ${process.version}`,
      runFolder: dir,
      passed: missing.length === 0 && results.every((r) => r.passed),
      missing,
      scenarios: results,
    };
    const json = JSON.stringify(summary, null, 2);
    writeFileSync(join(dir, 'summary.json'), json);
    mkdirSync(LAST_RUN_DIR, { recursive: true });
    writeFileSync(join(LAST_RUN_DIR, `summary-${SCALE}.json`), `${json}\n`);
    if (phi && !phi.passed) {
      throw new Error(`[reliability] scenario 8: patient data or an API key in the logs (${dir})`);
    }
    const incomplete =
      missing.length > 0
        ? ` (incomplete: no result from scenario ${missing.join(', ')}: a partial run, or a scenario that threw before its checks; it cannot be published)`
        : '';
    console.log(
      `[reliability] ${results.filter((r) => r.passed).length}/${results.length + missing.length} scenarios passed${incomplete}; summary in reliability/last-run/summary-${SCALE}.json (publish it into docs/reliability.md with \`npm run reliability:publish\`)`,
    );
  };
}

/**
 * Scenario 8: after all the others, one sweep of every process log of the run (ingress,
 * projectors: the run folder keeps them) for every scenario's canaries and API keys, plus the
 * sweeps each scenario made of its Kafka and Postgres logs before they were deleted. First it
 * proves it can find something: a scratch log with a planted patient id, name and key in the
 * same folder must be reported line by line (then it is deleted); the scenario fails if not.
 */
function finalSweep(dir: string): ScenarioResult | undefined {
  const sweeps = recordedSweeps(dir);
  if (sweeps.length === 0) return undefined;
  const started = performance.now();
  const secrets = sweeps.flatMap((s) =>
    s.secrets.map((secret) => ({ label: `${s.scenario}: ${secret.label}`, value: secret.value })),
  );
  const logs = join(dir, 'logs');
  const planted = plantCanary(logs);
  let swept: ReturnType<typeof sweepLogs>;
  try {
    swept = sweepLogs([logs], [...secrets, ...planted.secrets]);
  } finally {
    removePlantedCanary(planted);
  }
  const isPlanted = (hit: string) => hit.startsWith(`${planted.file}:`);
  const plantedHits = swept.hits.filter(isPlanted);
  const plantedLines = new Set(plantedHits.map((h) => h.split(': ')[0])).size;
  const hits = swept.hits.filter((h) => !isPlanted(h));
  const scenarioHits = sweeps.reduce((n, s) => n + s.report.hits.length, 0);
  const print = (lines: string[]) => lines.slice(0, 20).join('\n    ');
  if (hits.length > 0) console.error(`[reliability] PHI sweep hits:\n    ${print(hits)}`);
  const { outcomes } = evaluateChecks({
    'the sweep finds every planted canary line': () =>
      assert.equal(plantedLines, planted.lines, 'planted lines reported'),
    'the sweep finds each planted value': () =>
      assert.deepEqual(
        planted.secrets.filter((s) => !plantedHits.some((h) => h.endsWith(`: ${s.label}`))),
        [],
        'planted values not found',
      ),
    'no hits in process logs': () => assert.deepEqual(hits, []),
    'no hits in scenario sweeps': () => assert.equal(scenarioHits, 0),
  });
  return {
    number: 8,
    title: 'PHI: sweep of every log',
    did: {
      'scenarios with canaries': sweeps.length,
      'canary values': sweeps.reduce((n, s) => n + s.canaryValues, 0),
      'secrets searched (canary markers, keys)': secrets.length,
      'planted canary lines (found / planted)': `${plantedLines} / ${planted.lines}`,
      'process log files': swept.files - 1,
      'log lines': swept.lines - (planted.lines + 1),
      'broker/Postgres log files (per scenario)': sweeps.reduce((n, s) => n + s.report.files, 0),
    },
    found: { 'hits in process logs': hits.length, 'hits in scenario sweeps': scenarioHits },
    criteria:
      'the sweep reports every line of a planted canary (plain, JSON-escaped, \\u-escaped, in a URL, in a header); no canary patient id, name, address or medication name, no API key, in any log',
    checks: outcomes,
    passed: outcomes.every((o) => o.passed),
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
