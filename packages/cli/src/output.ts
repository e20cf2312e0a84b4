import type { CliError } from './cli-error.js';
import type { CliIo } from './cli-io.js';

/** A table column: header and how to get the cell text from a row. */
export interface Column<R> {
  header: string;
  value: (row: R) => string | number | null | undefined;
  /** Right-align (numbers). */
  right?: boolean;
}

/** Renders rows as a plain-text table (two spaces between columns, a dashed rule under the header). */
export function renderTable<R>(rows: readonly R[], columns: readonly Column<R>[]): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const v = c.value(row);
      return v === null || v === undefined || v === '' ? '-' : String(v);
    }),
  );
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (columns[i]?.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
  ].join('\n');
}

/** 12345 -> "12,345". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Seconds -> "850ms", "42s", "3m 05s", "2h 10m", "3d 4h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400)
    return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** What a command prints: human text, or one JSON document with `--json`. */
export class Output {
  constructor(
    readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** A line for people on stdout (nothing with `--json`). */
  line(text = ''): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  /** A table for people on stdout (nothing with `--json`). */
  table<R>(rows: readonly R[], columns: readonly Column<R>[]): void {
    this.line(rows.length === 0 ? '(none)' : renderTable(rows, columns));
  }

  /** One JSON document (a line) on stdout, with `--json` only. */
  document(value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A warning on stderr (also with `--json`: stdout stays parseable). */
  warn(text: string): void {
    this.io.stderr.write(`warning: ${text}\n`);
  }

  /** Progress or notes for people on stderr, so stdout stays the result. */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(`${text}\n`);
  }

  /** An error: JSON on stdout with `--json`, else message and hint on stderr. */
  error(error: CliError): void {
    if (this.json) {
      this.document({
        ok: false,
        error: { code: error.code, message: error.message, hint: error.hint },
      });
    } else {
      this.io.stderr.write(`error: ${error.message}\n  hint: ${error.hint}\n`);
    }
  }
}
