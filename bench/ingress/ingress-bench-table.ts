import type { BenchTable } from '../bench-result.js';
import type { Row } from './ingress-load.js';

const COLUMNS = ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'server CPU µs/req'];

/** The measured rows as a {@link BenchTable} (what the JSON keeps and the console shows). */
export function rowsTable(title: string, rows: readonly Row[]): BenchTable {
  return {
    title,
    columns: COLUMNS,
    rows: rows.map((r) => [
      r.name,
      r.requestsPerSecond,
      r.p50Ms,
      r.p99Ms,
      r.errors,
      r.non2xx,
      r.serverCpuMicrosPerRequest ?? '?',
    ]),
  };
}

/** A {@link BenchTable} as a Markdown table, first column left-aligned, the others right. */
export function formatTable(table: BenchTable): string {
  const lines = table.rows.map((row) => row.map(String));
  const widths = table.columns.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)),
  );
  const format = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [
    `${table.title}:`,
    format(table.columns),
    `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...lines.map(format),
  ].join('\n');
}
