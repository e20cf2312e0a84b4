/**
 * `npm run bench:publish`: renders docs/benchmarks.md from bench/benchmarks.template.md (the
 * hand-written prose) and the benchmarks' results in bench/results/<section>.json (ingress,
 * projector, freshness, rebuild; whichever exist). A result measured on another commit than
 * HEAD is marked stale unless the measured code (services, packages, benchmarks; not docs
 * or this step) is unchanged since, one measured on a loaded machine says so. Publish figures from a quiet
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
/** What the benchmarks run: a commit that changed none of it since a result keeps it current. */
const MEASURED_CODE = [
  'packages',
  'services',
  'bench',
  'package.json',
  'package-lock.json',
  'tsconfig.base.json',
  ':(exclude)bench/publish.ts',
  ':(exclude)bench/render-benchmarks.ts',
  ':(exclude)bench/render-benchmarks.unit.test.ts',
  ':(exclude)bench/benchmarks.template.md',
  ':(exclude)**/*.md',
  // Tests never run inside a benchmark.
  ':(exclude)**/test/**',
  ':(exclude)**/*.test.ts',
];
const sameCode = results
  .map((r) => r.commit.split('+')[0] ?? '')
  .filter((sha) => {
    try {
      const changed = execFileSync(
        'git',
        ['diff', '--name-only', sha, 'HEAD', '--', ...MEASURED_CODE],
        {
          encoding: 'utf8',
        },
      );
      return changed.trim() === '';
    } catch {
      return false;
    }
  });
const template = await readFile(here('./benchmarks.template.md'), 'utf8');
const target = here('../docs/benchmarks.md');
await writeFile(
  target,
  renderBenchmarks(template, { results, head, sameCode, generatedAt: new Date().toISOString() }),
);
console.log(
  `wrote ${target} from ${results.length} result(s): ${results.map((r) => `${r.bench} (${r.commit}${r.correct ? '' : ', WRONG ANSWERS'})`).join(', ') || 'none'}`,
);
