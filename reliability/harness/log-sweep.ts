import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What {@link sweepLogs} found. */
export interface SweepReport {
  files: number;
  bytes: number;
  lines: number;
  /** `file:line: which secret` for every hit (the secret itself is never printed). */
  hits: string[];
}

function filesUnder(path: string): string[] {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return [];
  if (stat.isFile()) return [path];
  if (!stat.isDirectory()) return [];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

/**
 * The byte sequences (as latin1 strings: files are read byte for byte) in which a log line can
 * hold `value`: as written (UTF-8), JSON-escaped (pino's string escaping: quotes, backslashes,
 * control characters), JSON-escaped with every non-ASCII character as `\uXXXX` (JSON writers
 * that escape to ASCII), and percent-encoded (a value in a logged URL). A value cut by a line
 * break is not searched for: every process log is one JSON object per line, where a line
 * break inside a value is escaped, which the JSON forms cover.
 */
export function needleForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const asciiJson = json.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const forms = [
    value,
    json,
    asciiJson,
    // Some writers spell the escape's hex digits in upper case.
    asciiJson.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`),
    encodeURIComponent(value),
  ];
  return [...new Set(forms.map((f) => Buffer.from(f, 'utf8').toString('latin1')))];
}

/**
 * Reads every file under `paths` (the processes' logs, the broker's and Postgres' logs) and
 * reports each line holding one of `secrets` (canary patient ids, names, addresses, medication
 * names, API keys) in any of its {@link needleForms}. Hits name the secret's label, never its
 * value; a line holding a secret in several forms is one hit.
 */
export function sweepLogs(
  paths: readonly string[],
  secrets: ReadonlyArray<{ label: string; value: string }>,
): SweepReport {
  const report: SweepReport = { files: 0, bytes: 0, lines: 0, hits: [] };
  const needles = secrets
    .filter((s) => s.value.length > 0)
    .map((s) => ({ label: s.label, forms: needleForms(s.value) }));
  for (const file of paths.flatMap(filesUnder)) {
    const text = readFileSync(file, 'latin1');
    report.files++;
    report.bytes += text.length;
    const lines = text.split('\n');
    report.lines += lines.length;
    lines.forEach((line, index) => {
      for (const secret of needles) {
        if (secret.forms.some((form) => line.includes(form))) {
          report.hits.push(`${file}:${index + 1}: ${secret.label}`);
        }
      }
    });
  }
  return report;
}

/** A scenario's sweep as kept in the run folder (see sweep-record.ts). */
export interface RecordedSweep {
  scenario: string;
  secrets: Array<{ label: string; value: string }>;
  canaryValues: number;
  report: SweepReport;
}

/** Every sweep recorded in a run folder. */
export function recordedSweeps(dir: string): RecordedSweep[] {
  const sweeps = join(dir, 'sweeps');
  const stat = statSync(sweeps, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return [];
  return readdirSync(sweeps).map(
    (f) => JSON.parse(readFileSync(join(sweeps, f), 'utf8')) as RecordedSweep,
  );
}
