import { type BenchResult, type BenchTarget, loadAverageNow } from '../bench-result.js';
import type { FreshnessScenarioResult } from './freshness-scenario.js';

const ms = (x: number) => Math.round(x);

/**
 * The freshness part of `bench:projector` as its own {@link BenchResult}: one row and one
 * target (p99 of ingress 200 -> row visible) per scenario. An event acknowledged and never
 * visible, or a failed send, is a wrong answer.
 */
export function freshnessResult(
  scenarios: readonly FreshnessScenarioResult[],
  run: {
    context: Pick<BenchResult, 'commit' | 'machine'>;
    loadAtStart: number[];
    settings: Record<string, unknown>;
    goalP99Ms: number;
  },
): BenchResult {
  const targets: BenchTarget[] = scenarios.map((f) => ({
    name: `freshness ${f.name}`,
    description: `ingress 200 -> row visible, p99, projectors ${f.projectors.join('+')} at ${Math.round(f.ratePerSecond)} events/s`,
    goal: `<= ${run.goalP99Ms}`,
    measured: ms(f.visible.p99),
    unit: ' ms',
    met: f.visible.p99 <= run.goalP99Ms,
  }));
  const wrong = scenarios.filter((f) => f.failed > 0 || f.missing > 0);
  return {
    bench: 'freshness',
    at: new Date().toISOString(),
    ...run.context,
    loadAverage: { start: run.loadAtStart, end: loadAverageNow() },
    settings: run.settings,
    correct: wrong.length === 0,
    correctness: scenarios.map(
      (f) =>
        `${f.name}: ${f.sent} sent, ${f.failed} failed, ${f.missing} acknowledged and never visible`,
    ),
    tables: [
      {
        title: 'Freshness: ingress 200 -> row visible (ms)',
        columns: [
          'scenario',
          'projectors',
          'events/s',
          'p50',
          'p90',
          'p99',
          'max',
          '200 p99',
          'received -> transaction p99',
          'transaction -> visible p99',
        ],
        rows: scenarios.map((f) => [
          f.name,
          f.projectors.join('+'),
          Math.round(f.ratePerSecond),
          ms(f.visible.p50),
          ms(f.visible.p90),
          ms(f.visible.p99),
          ms(f.visible.max),
          ms(f.ack.p99),
          ms(f.breakdown.receivedToTransaction.p99),
          ms(f.breakdown.transactionToVisible.p99),
        ]),
      },
    ],
    targets,
    notes: scenarios.map((f) => `${f.name} load: ${JSON.stringify(f.load)}`),
  };
}
