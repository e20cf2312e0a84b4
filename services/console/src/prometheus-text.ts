/** One sample of a Prometheus text exposition: metric name, labels, value. */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/**
 * Parses the Prometheus text format (version 0.0.4, what prom-client serves): every sample
 * line; comments (`# HELP`, `# TYPE`) and lines that do not parse are skipped.
 */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const [, name = '', labelText, valueText = ''] = match;
    const labels: Record<string, string> = {};
    if (labelText) {
      for (const label of labelText.matchAll(LABEL)) {
        labels[label[1] ?? ''] = unescapeLabel(label[2] ?? '');
      }
    }
    const value = parseValue(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') continue;
    samples.push({ name, labels, value });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels pass `where` (all of them by default). */
export function sumOf(
  samples: readonly PrometheusSample[],
  name: string,
  where: (labels: Record<string, string>) => boolean = () => true,
): number {
  let total = 0;
  for (const s of samples) if (s.name === name && where(s.labels)) total += s.value;
  return total;
}
