import type { BenchTable } from '../bench-result.js';

/** Prints a {@link BenchTable} as aligned text columns (first column left, the rest right). */
export function printBenchTable(table: BenchTable): void {
  const lines = table.rows.map((row) => row.map(String));
  const widths = table.columns.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)),
  );
  const format = (cells: readonly string[]) =>
    widths
      .map((w, i) => (i === 0 ? (cells[i] ?? '').padEnd(w) : (cells[i] ?? '').padStart(w)))
      .join('  ');
  console.log(`\n${table.title}\n${format(table.columns)}`);
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}
