// Shared by the pages: the header, sign-out, formatting and JSON requests.
const Console = {
  header(active) {
    const header = document.createElement('header');
    header.innerHTML =
      '<span class="brand">novamed-stream console</span><nav>' +
      ['explorer', 'live', 'analytics']
        .map(
          (p) =>
            `<a href="/${p}" class="${p === active ? 'active' : ''}">${p === 'live' ? 'Live flow' : p[0].toUpperCase() + p.slice(1)}</a>`,
        )
        .join('') +
      '</nav><button class="secondary" id="sign-out">Sign out</button>';
    document.body.prepend(header);
    document.getElementById('sign-out').addEventListener('click', async () => {
      await fetch('/api/session/end', { method: 'POST' });
      window.location.assign('/login');
    });
  },
  async json(url, options = {}) {
    const response = await fetch(url, options);
    if (response.status === 401) {
      window.location.assign('/login');
      throw new Error('signed out');
    }
    const body = await response.json();
    if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
    return body;
  },
  text(value) {
    const span = document.createElement('span');
    span.textContent = value === null || value === undefined ? '—' : String(value);
    return span.innerHTML;
  },
  time(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return Number.isNaN(d.getTime())
      ? Console.text(iso)
      : d.toISOString().replace('T', ' ').replace('.000Z', 'Z');
  },
  number(value, digits = 1) {
    if (value === null || value === undefined || Number.isNaN(value)) return '—';
    return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits });
  },
  seconds(value) {
    if (value === null || value === undefined) return '—';
    if (value < 90) return `${Console.number(value, 1)} s`;
    if (value < 5400) return `${Console.number(value / 60, 1)} min`;
    return `${Console.number(value / 3600, 1)} h`;
  },
};
window.Console = Console;
