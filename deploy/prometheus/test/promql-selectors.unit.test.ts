import { describe, expect, it } from 'vitest';
import { promqlSelectors } from './promql-selectors.js';

const metrics = (expr: string) => promqlSelectors(expr).map((s) => s.metric);

describe('promqlSelectors', () => {
  it('finds metrics under functions and aggregations, not the functions, label lists or durations', () => {
    expect(
      metrics(
        'sum by (job, instance) (rate(http_requests_total{route="/x", status="503"}[5m])) / sum without (status) (rate(http_requests_total[5m])) > 0.05',
      ),
    ).toEqual(['http_requests_total', 'http_requests_total']);
    expect(
      metrics(
        'histogram_quantile(0.99, sum by (le) (rate(ingress_append_duration_seconds_bucket[$__rate_interval])))',
      ),
    ).toEqual(['ingress_append_duration_seconds_bucket']);
  });

  it('skips keywords, offsets, on/ignoring/group_left lists and strings', () => {
    expect(
      metrics(
        'a_total unless b_total offset 15m and on (job, instance) (up offset 15m) or c * on (x) group_left (y) d == bool 1',
      ),
    ).toEqual(['a_total', 'b_total', 'up', 'c', 'd']);
    expect(metrics('label_replace(m, "dst", "$1 foo_total", "src", "(.*)")')).toEqual(['m']);
    expect(metrics('sum(x) by (projector)')).toEqual(['x']);
  });

  it('returns the label names of a selector, not their values', () => {
    expect(promqlSelectors('x{code=~"A|B", route!="/webhooks/a,b"}')).toEqual([
      { metric: 'x', labels: ['code', 'route'] },
    ]);
  });
});
