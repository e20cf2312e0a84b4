// The explorer: search (POST, so ids stay out of URLs), one entity with PHI masked, and an
// explicit "Show PHI" that asks the server for the identified (audited) data.
Console.header('explorer');
const { text, time } = Console;
const KIND_LABEL = { order: 'Order', medication_request: 'Medication request', refill: 'Refill' };
const hits = document.getElementById('hits');
const section = document.getElementById('entity');

document.getElementById('search').addEventListener('submit', async (event) => {
  event.preventDefault();
  const query = document.getElementById('query').value.trim();
  hits.textContent = 'Searching…';
  section.innerHTML = '';
  try {
    const result = await Console.json('/api/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    const entities = result.hits.filter((h) => h.type === 'entity');
    const rejected = result.hits.filter((h) => h.type === 'rejected_event');
    hits.innerHTML =
      result.hits.length === 0
        ? '<p class="muted">Nothing with that id in the read models.</p>'
        : rejected
            .map(
              (r) =>
                `<p>Event <code>${text(r.eventId)}</code> was <span class="badge rejected">rejected</span> by ${text(r.projector)}: ${text(r.reason)}</p>`,
            )
            .join('');
    if (entities[0]) await show(entities[0].kind, entities[0].id);
  } catch (error) {
    hits.innerHTML = `<p class="error">${text(error.message)}</p>`;
  }
});

function value(fields, masked, name) {
  if (masked.includes(name)) return '<span class="masked" data-masked="true">●●●●●● masked</span>';
  const v = fields[name];
  if (v !== null && typeof v === 'object') return `<code>${text(JSON.stringify(v))}</code>`;
  return /_at$/.test(name) ? time(v) : text(v);
}

function outcome(entry) {
  const o = entry.outcome;
  if (o.status === 'rejected') {
    return `<span class="badge rejected">rejected</span> ${text(o.reason)}${o.details.length ? `<br><span class="muted">${text(o.details.join('; '))}</span>` : ''}`;
  }
  return `<span class="badge ${o.status}">${o.status}</span>`;
}

async function show(kind, id) {
  section.innerHTML = '<p class="muted">Loading…</p>';
  const e = await Console.json(
    `/api/entities/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`,
  );
  const { fields, masked } = e.row;
  const names = Object.keys(fields);
  const links = e.links.length
    ? e.links
        .map(
          (l) =>
            `<a href="#" data-kind="${text(l.kind)}" data-id="${text(l.id)}">${KIND_LABEL[l.kind]} ${text(l.id)}</a>`,
        )
        .join('')
    : '<span class="muted">none</span>';
  const scan =
    e.topicScan.status === 'read'
      ? `topic partition ${e.topicScan.partition}, offsets ${text(e.topicScan.from)}–${text(e.topicScan.to)}${e.topicScan.truncated ? ' (scan cut short: duplicate counts are a lower bound)' : ''}`
      : 'topic not readable now: duplicates unknown';
  section.innerHTML = `
  <div class="card">
    <h2>${KIND_LABEL[e.kind]} <code>${text(e.id)}</code> <span class="badge applied">${text(fields.status)}</span></h2>
    <p class="muted">Served by ${e.version ? `${text(e.version.projector)} v${e.version.version} (schema <code>${text(e.version.schema)}</code>, live since ${time(e.version.liveSince)})` : 'no live version'}.
    Linked: <span class="links">${links}</span></p>
    <p><button id="show-phi" class="secondary">Show PHI (audited)</button>
       <span class="muted">${masked.length} field(s) masked; showing them is recorded in the PHI audit trail.</span></p>
    <dl class="fields" id="fields">${names.map((n) => `<dt>${text(n)}</dt><dd data-field="${text(n)}">${value(fields, masked, n)}</dd>`).join('')}</dl>
  </div>
  <div class="card">
    <h2>Timeline</h2>
    <p class="muted">Every event of this ${KIND_LABEL[e.kind].toLowerCase()} in NovaMed time order; deliveries counted in the ${scan}.</p>
    <table id="timeline"><thead><tr><th>event type</th><th>NovaMed time</th><th>received</th><th>partition/offset</th><th>deliveries</th><th>outcome</th><th>event id</th></tr></thead>
    <tbody>${e.timeline
      .map(
        (
          t,
        ) => `<tr data-event-id="${text(t.eventId)}"><td><code>${text(t.eventType)}</code></td><td>${time(t.timestamp)}</td><td>${time(t.receivedAt)}</td>
        <td class="mono">${t.partition}/${text(t.offset)}</td>
        <td class="num">${t.deliveries === null ? '—' : t.deliveries}${t.duplicateOffsets.length ? ` <span class="muted">(dup. at ${text(t.duplicateOffsets.join(', '))})</span>` : ''}</td>
        <td>${outcome(t)}</td><td class="mono">${text(t.eventId)}</td></tr>`,
      )
      .join('')}</tbody></table>
    <div id="event-data"></div>
  </div>`;
  for (const a of section.querySelectorAll('a[data-kind]')) {
    a.addEventListener('click', (event) => {
      event.preventDefault();
      void show(a.dataset.kind, a.dataset.id);
    });
  }
  document.getElementById('show-phi').addEventListener('click', async () => {
    const phi = await Console.json(
      `/api/entities/${encodeURIComponent(kind)}/${encodeURIComponent(id)}/phi`,
      { method: 'POST' },
    );
    const row = phi.row ?? {};
    document.getElementById('fields').innerHTML = Object.keys(row)
      .map((n) => `<dt>${text(n)}</dt><dd data-field="${text(n)}">${value(row, [], n)}</dd>`)
      .join('');
    document.getElementById('event-data').innerHTML =
      '<h2>Event data (identified)</h2>' +
      Object.entries(phi.eventData)
        .map(
          ([eventId, data]) =>
            `<p><code>${text(eventId)}</code><br><code>${text(JSON.stringify(data))}</code></p>`,
        )
        .join('');
    document.getElementById('show-phi').disabled = true;
  });
}
