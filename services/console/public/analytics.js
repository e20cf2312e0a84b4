// Analytics at a glance: the funnel and duration views as charts (uPlot), de-identified data.
Console.header('analytics');
const { number, text } = Console;
const COLORS = ['#2454d6', '#7a5af8', '#16794c', '#0e9384', '#b42318', '#a15c07'];
const dayToSeconds = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

function chart(id, days, series) {
  const element = document.getElementById(id);
  if (days.length === 0) {
    element.innerHTML = '<p class="muted">No rows yet.</p>';
    return;
  }
  new uPlot(
    {
      width: Math.max(320, element.clientWidth || 560),
      height: 220,
      series: [
        {},
        ...series.map(([label], i) => ({
          label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: true },
        })),
      ],
      axes: [{}, { size: 50 }],
      scales: { x: { time: true } },
    },
    [days.map(dayToSeconds), ...series.map(([, values]) => values)],
    element,
  );
}

// A funnel as bars: how many reached each stage over the whole period (one day or many).
function funnelBars(id, funnel) {
  const element = document.getElementById(id);
  const stages = Object.keys(funnel.stages);
  const totals = stages.map((s) => funnel.stages[s].reduce((a, b) => a + b, 0));
  if (funnel.days.length === 0) {
    element.innerHTML = '<p class="muted">No rows yet.</p>';
    return;
  }
  new uPlot(
    {
      width: Math.max(320, element.clientWidth || 560),
      height: 220,
      series: [
        { value: (_u, i) => stages[i] ?? '' },
        {
          label: `${funnel.days.length} day(s)`,
          fill: '#2454d6aa',
          stroke: '#2454d6',
          paths: uPlot.paths.bars({ size: [0.6] }),
          points: { show: false },
        },
      ],
      scales: { x: { time: false, range: [-0.5, stages.length - 0.5] } },
      axes: [
        {
          splits: () => stages.map((_, i) => i),
          values: (_u, splits) => splits.map((i) => stages[i] ?? ''),
        },
        { size: 50 },
      ],
    },
    [stages.map((_, i) => i), totals],
    element,
  );
}

(async () => {
  const a = await Console.json('/api/analytics');
  funnelBars('chart-order-funnel', a.orderFunnel);
  funnelBars('chart-request-funnel', a.medicationRequestFunnel);
  chart('chart-fill', a.fillTimes.days, [
    ['median', a.fillTimes.medianHours],
    ['p90', a.fillTimes.p90Hours],
  ]);
  chart('chart-decision', a.refillDecisionTimes.days, [
    ['median', a.refillDecisionTimes.medianHours],
    ['p90', a.refillDecisionTimes.p90Hours],
  ]);
  const c = a.deliveryByCarrier;
  document.querySelector('#carriers tbody').innerHTML =
    c.carriers
      .map(
        (name, i) =>
          `<tr><td>${text(name)}</td><td class="num">${c.count[i]}</td><td class="num">${number(c.medianHours[i], 3)}</td></tr>`,
      )
      .join('') || '<tr><td colspan="3" class="muted">No delivered orders yet.</td></tr>';
})();
