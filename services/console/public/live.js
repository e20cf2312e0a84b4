// The live flow: a server-sent event stream pushes a snapshot every few seconds; the numbers
// and the uPlot charts update by themselves.
Console.header('live');
const { number, seconds, text } = Console;
const PROJECTORS = ['orders', 'medication_requests', 'refills'];
const COLORS = ['#2454d6', '#b42318', '#a15c07', '#16794c'];
const snapshots = [];

function makeChart(element, series) {
  const width = Math.max(320, element.clientWidth || 560);
  return new uPlot(
    {
      width,
      height: 220,
      series: [
        {},
        ...series.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2 })),
      ],
      axes: [{}, { size: 50 }],
      scales: { x: { time: true } },
      legend: { live: false },
    },
    [[], ...series.map(() => [])],
    element,
  );
}
const ingressChart = makeChart(document.getElementById('chart-ingress'), [
  'accepted/s',
  '4xx/s',
  '503/s',
]);
const lagChart = makeChart(document.getElementById('chart-lag'), PROJECTORS);

function render() {
  const last = snapshots[snapshots.length - 1];
  if (!last) return;
  const r = last.rates;
  document.getElementById('updated').textContent =
    `updated ${new Date(last.at).toLocaleTimeString()}`;
  document.getElementById('kpi-accepted').textContent = number(r.acceptedPerSecond, 1);
  document.getElementById('kpi-4xx').textContent = number(r.http4xxPerSecond, 2);
  document.getElementById('kpi-503').textContent = number(r.http503PerSecond, 2);
  document.getElementById('kpi-quarantined').textContent = number(r.quarantinedTotal, 0);
  document.getElementById('kpi-messages').textContent = number(last.topicMessages, 0);
  document.getElementById('problems').textContent = last.problems.join(' · ');
  const times = snapshots.map((s) => s.at / 1000);
  ingressChart.setData([
    times,
    snapshots.map((s) => s.rates.acceptedPerSecond),
    snapshots.map((s) => s.rates.http4xxPerSecond),
    snapshots.map((s) => s.rates.http503PerSecond),
  ]);
  lagChart.setData([
    times,
    ...PROJECTORS.map((p) =>
      snapshots.map((s) => s.projectors?.find((x) => x.projector === p)?.lag ?? null),
    ),
  ]);
  const rows = (last.projectors ?? []).map((p) => {
    const flow = r.projectors[p.projector];
    const rebuild = p.building
      .map((b) => {
        const pct = b.total === 0 ? 100 : Math.floor((b.done / b.total) * 100);
        return `v${b.version} ${pct}% <progress max="100" value="${pct}"></progress>`;
      })
      .join('');
    return `<tr><td>${text(p.projector)}</td><td>${p.liveVersion === null ? 'none' : `v${p.liveVersion}`}</td>
      <td class="num">${flow ? number(flow.appliedPerSecond, 1) : '—'}</td><td class="num">${number(p.lag, 0)}</td>
      <td class="num">${seconds(p.behindSeconds)}</td><td class="num">${seconds(p.freshnessSeconds)}</td>
      <td class="num">${p.unresolvedErrors}</td><td class="num">${p.consumers}</td><td>${rebuild || '<span class="muted">—</span>'}</td></tr>`;
  });
  document.querySelector('#projectors tbody').innerHTML = rows.join('');
}

const stream = new EventSource('/api/live/stream');
stream.addEventListener('history', (event) => {
  snapshots.splice(0, snapshots.length, ...JSON.parse(event.data));
  render();
});
stream.onmessage = (event) => {
  snapshots.push(JSON.parse(event.data));
  if (snapshots.length > 150) snapshots.shift();
  render();
};
stream.onerror = () => {
  document.getElementById('problems').textContent = 'stream interrupted; reconnecting…';
};
