import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { recordedSweeps, sweepLogs } from './log-sweep.js';
import type { ScenarioResult } from './report.js';
import { newRunFolder } from './run-folder.js';
import { SCALE } from './scale.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const docPath = join(repoRoot, 'docs/reliability.md');
const BEGIN = (scale: string) => `<!-- reliability:${scale}:begin -->`;
const END = (scale: string) => `<!-- reliability:${scale}:end -->`;

/**
 * Global setup of the `reliability` project: a run folder for the logs and results; at the end,
 * the JSON summary (reliability/results/summary-<scale>.json) and the table of this scale in
 * docs/reliability.md.
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
    const summary = {
      scale: SCALE,
      at: new Date().toISOString(),
      machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}, node ${process.version}`,
      runFolder: dir,
      passed: results.every((r) => r.passed),
      scenarios: results,
    };
    const json = JSON.stringify(summary, null, 2);
    writeFileSync(join(dir, 'summary.json'), json);
    writeFileSync(join(repoRoot, 'reliability/results', `summary-${SCALE}.json`), `${json}\n`);
    updateDoc(summary.at, results);
    if (phi && !phi.passed) {
      throw new Error(`[reliability] scenario 8: patient data or an API key in the logs (${dir})`);
    }
    console.log(
      `[reliability] ${results.filter((r) => r.passed).length}/${results.length} scenarios passed; summary in reliability/results/summary-${SCALE}.json, table in docs/reliability.md`,
    );
  };
}

function cell(o: Record<string, number | string>): string {
  return Object.entries(o)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
    .join('; ')
    .replaceAll('|', '\\|');
}

function updateDoc(at: string, results: ScenarioResult[]): void {
  let doc: string;
  try {
    doc = readFileSync(docPath, 'utf8');
  } catch {
    return;
  }
  const begin = doc.indexOf(BEGIN(SCALE));
  const end = doc.indexOf(END(SCALE));
  if (begin < 0 || end < begin) return;
  const table = [
    BEGIN(SCALE),
    `Run of ${at.slice(0, 16).replace('T', ' ')} UTC, scale \`${SCALE}\`.`,
    '',
    '| # | scenario | did | found | must | result | s |',
    '|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.number} | ${r.title} | ${cell(r.did)} | ${cell(r.found)} | ${r.criteria} | ${r.passed ? 'passed' : '**FAILED**'} | ${r.seconds} |`,
    ),
    END(SCALE),
  ].join('\n');
  writeFileSync(docPath, doc.slice(0, begin) + table + doc.slice(end + END(SCALE).length));
}

/**
 * Scenario 8: after all the others, one sweep of every process log of the run (ingress,
 * projectors: the run folder keeps them) for every scenario's canaries and API keys, plus the
 * sweeps each scenario made of its Kafka and Postgres logs before they were deleted.
 */
function finalSweep(dir: string): ScenarioResult | undefined {
  const sweeps = recordedSweeps(dir);
  if (sweeps.length === 0) return undefined;
  const started = performance.now();
  const secrets = sweeps.flatMap((s) =>
    s.secrets.map((secret) => ({ label: `${s.scenario}: ${secret.label}`, value: secret.value })),
  );
  const final = sweepLogs([join(dir, 'logs')], secrets);
  const scenarioHits = sweeps.reduce((n, s) => n + s.report.hits.length, 0);
  const print = (hits: string[]) => hits.slice(0, 20).join('\n    ');
  if (final.hits.length > 0)
    console.error(`[reliability] PHI sweep hits:\n    ${print(final.hits)}`);
  return {
    number: 8,
    title: 'PHI: sweep of every log',
    did: {
      'scenarios with canaries': sweeps.length,
      'canary values': sweeps.reduce((n, s) => n + s.canaryValues, 0),
      'secrets searched (canary markers, keys)': secrets.length,
      'process log files': final.files,
      'log lines': final.lines,
      'broker/Postgres log files (per scenario)': sweeps.reduce((n, s) => n + s.report.files, 0),
    },
    found: { 'hits in process logs': final.hits.length, 'hits in scenario sweeps': scenarioHits },
    criteria: 'no canary patient id, name, address or medication name, no API key, in any log',
    passed: final.hits.length === 0 && scenarioHits === 0,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
