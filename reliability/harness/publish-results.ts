import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from './report.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const docPath = join(repoRoot, 'docs/reliability.md');
const BEGIN = (scale: string) => `<!-- reliability:${scale}:begin -->`;
const END = (scale: string) => `<!-- reliability:${scale}:end -->`;

/** Where a run leaves its summary (ignored by git). */
export const LAST_RUN_DIR = join(repoRoot, 'reliability', 'last-run');
/** Where published summaries live (tracked; docs/reliability.md shows them). */
export const PUBLISHED_DIR = join(repoRoot, 'reliability', 'results');

/** A run's summary file, as the global teardown writes it. */
export interface RunSummary {
  scale: string;
  at: string;
  passed: boolean;
  /** Expected scenarios without a result (absent in summaries older than this field). */
  missing?: number[];
  scenarios: ScenarioResult[];
}

/**
 * Publishes the last run of `scale`: copies its summary into `reliability/results/` and
 * rewrites that scale's table in docs/reliability.md. Returns the summary, or undefined when
 * no run of that scale is there.
 */
export function publishLastRun(scale: string): RunSummary | undefined {
  const source = join(LAST_RUN_DIR, `summary-${scale}.json`);
  if (!existsSync(source)) return undefined;
  const summary = JSON.parse(readFileSync(source, 'utf8')) as RunSummary;
  if (summary.missing !== undefined && summary.missing.length > 0) {
    throw new Error(
      `the last ${scale} run has no result from scenario ${summary.missing.join(', ')} (a partial run, or a scenario that threw before its checks); run the whole suite before publishing`,
    );
  }
  copyFileSync(source, join(PUBLISHED_DIR, `summary-${scale}.json`));
  updateDoc(scale, summary.at, summary.scenarios);
  return summary;
}

function cell(o: Record<string, number | string>): string {
  return Object.entries(o)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
    .join('; ')
    .replaceAll('|', '\\|');
}

/** The result cell: the verdict and, when the summary has them, its checks (failed ones named). */
function verdict(r: ScenarioResult): string {
  const checks = r.checks ?? [];
  const failed = checks.filter((c) => !c.passed).map((c) => c.name);
  const counted =
    checks.length > 0 ? ` (${checks.length - failed.length}/${checks.length} checks)` : '';
  const named = failed.length > 0 ? `: ${failed.join('; ').replaceAll('|', '\\|')}` : '';
  return `${r.passed ? 'passed' : '**FAILED**'}${counted}${named}`;
}

function updateDoc(scale: string, at: string, results: ScenarioResult[]): void {
  let doc: string;
  try {
    doc = readFileSync(docPath, 'utf8');
  } catch {
    return;
  }
  const begin = doc.indexOf(BEGIN(scale));
  const end = doc.indexOf(END(scale));
  if (begin < 0 || end < begin) return;
  const table = [
    BEGIN(scale),
    `Run of ${at.slice(0, 16).replace('T', ' ')} UTC, scale \`${scale}\`.`,
    '',
    '| # | scenario | did | found | must | result | s |',
    '|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.number} | ${r.title} | ${cell(r.did)} | ${cell(r.found)} | ${r.criteria} | ${verdict(r)} | ${r.seconds} |`,
    ),
    ...notesOf(results),
    END(scale),
  ].join('\n');
  writeFileSync(docPath, doc.slice(0, begin) + table + doc.slice(end + END(scale).length));
}

/**
 * The scenarios' notes under the table: what happened around each fault (times to recover,
 * requests in flight at a kill, answers during an outage), measured by the run, not written here.
 */
export function notesOf(results: readonly ScenarioResult[]): string[] {
  const lines = results.flatMap((r) =>
    (r.notes ?? []).map((note) => `- ${r.number}: ${note.replaceAll('\n', ' ')}`),
  );
  return lines.length > 0 ? ['', `Notes of this run:`, '', ...lines] : [];
}
