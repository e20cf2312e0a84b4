/** Sums every sample of a Prometheus counter or gauge on a `/metrics` page (0 if absent or down). */
export async function scrapeMetric(metricsUrl: string, name: string): Promise<number> {
  const text = await fetch(metricsUrl, { signal: AbortSignal.timeout(3000) }).then(
    (r) => r.text(),
    () => '',
  );
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
    }
  }
  return total;
}
