/**
 * `npm run bench:publish`: renders docs/benchmarks.md from bench/benchmarks.template.md (the
 * hand-written prose) and the benchmarks' results in bench/results/<section>.json (ingress,
 * projector, freshness, rebuild; whichever exist). A result measured on another commit than
 * HEAD is marked stale, one measured on a loaded machine says so. Publish figures from a quiet
 * machine: the page shows the load average of every run.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './bench-result.js';
import { BENCH_SECTIONS, renderBenchmarks } from './render-benchmarks.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

async function readResult(section: string): Promise<BenchResult | undefined> {
  try {
    return JSON.parse(await readFile(here(`./results/${section}.json`), 'utf8')) as BenchResult;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const results = (await Promise.all(BENCH_SECTIONS.map(readResult))).filter(
  (r): r is BenchResult => r !== undefined,
);
const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const template = await readFile(here('./benchmarks.template.md'), 'utf8');
const target = here('../docs/benchmarks.md');
await writeFile(
  target,
  renderBenchmarks(template, { results, head, generatedAt: new Date().toISOString() }),
);
console.log(
  `wrote ${target} from ${results.length} result(s): ${results.map((r) => `${r.bench} (${r.commit}${r.correct ? '' : ', WRONG ANSWERS'})`).join(', ') || 'none'}`,
);
