/**
 * The metric names a Prometheus text exposition offers to queries, each with the label names
 * seen on its samples. A `# TYPE` line counts even without samples (a labelled counter nobody
 * incremented yet); a histogram or summary offers `_bucket`/`_sum`/`_count` series.
 */
export function parseExposition(text: string): Map<string, Set<string>> {
  const metrics = new Map<string, Set<string>>();
  const add = (name: string) => {
    let labels = metrics.get(name);
    if (labels === undefined) {
      labels = new Set();
      metrics.set(name, labels);
    }
    return labels;
  };
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name = '', kind] = type;
      if (kind === 'histogram')
        for (const suffix of ['_bucket', '_sum', '_count']) add(name + suffix);
      else if (kind === 'summary') for (const suffix of ['', '_sum', '_count']) add(name + suffix);
      else add(name);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!sample) continue;
    const labels = add(sample[1] ?? '');
    // Label values are quoted strings; take the names before each `="`.
    for (const match of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) {
      labels.add(match[1] ?? '');
    }
  }
  return metrics;
}
