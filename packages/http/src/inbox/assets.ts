// The inbox's stylesheet and script, served from its own origin so the CSP needs no inline code.

export const INBOX_CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #fff; --card: #f6f8fa; --line: #d0d7de;
  --accent: #0969da; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #8d96a0; --bg: #0d1117; --card: #161b22;
  --line: #30363d; --accent: #4493f8; --ok: #3fb950; --bad: #f85149; --warn: #d29922; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between;
  padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
header a { font-weight: 600; color: var(--fg); text-decoration: none; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .5rem 0; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible, pre:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; margin: .75rem 0; }
.card h2 { margin: 0 0 .25rem; }
dl { display: grid; grid-template-columns: minmax(7rem, max-content) 1fr; gap: .25rem 1rem; margin: .5rem 0; }
dt { color: var(--muted); }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
pre { margin: 0; padding: .5rem; background: var(--bg); border: 1px solid var(--line); border-radius: 6px;
  overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; font-size: .875rem; }
pre.params { max-height: 32rem; overflow-y: auto; }
.param-names { margin: 0 0 .25rem; font-size: .875rem; color: var(--muted); }
code { font-size: .875rem; overflow-wrap: anywhere; }
.label { font-size: .8rem; color: var(--warn); font-weight: 600; }
.cp { font: .75rem ui-monospace, monospace; border: 1px dashed var(--bad); color: var(--bad); padding: 0 .2em; }
.status { font-weight: 600; }
.status-pending { color: var(--warn); } .status-approved, .status-executed { color: var(--ok); }
.status-denied, .status-expired, .status-cancelled, .status-failed { color: var(--bad); }
.risk-high, .risk-critical { color: var(--bad); font-weight: 600; }
form.decide { display: grid; gap: .5rem; margin-top: 1rem; }
textarea { width: 100%; min-height: 4.5rem; font: inherit; padding: .5rem; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: var(--fg); }
input[type=password], input[type=text] { width: 100%; font: inherit; padding: .5rem; border: 1px solid var(--line);
  border-radius: 6px; background: var(--bg); color: var(--fg); }
.buttons { display: flex; flex-wrap: wrap; gap: .5rem; }
button { font: inherit; padding: .55rem 1.1rem; border-radius: 6px; border: 1px solid var(--line); background: var(--card);
  color: var(--fg); cursor: pointer; min-height: 44px; }
button.approve { background: var(--ok); border-color: var(--ok); color: #fff; }
button.deny { background: var(--bad); border-color: var(--bad); color: #fff; }
.notice { padding: .5rem .75rem; border-left: 4px solid var(--accent); background: var(--card); }
.notice.error { border-color: var(--bad); }
table { width: 100%; border-collapse: collapse; font-size: .875rem; }
th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 30rem) { dl { grid-template-columns: 1fr; } dt { margin-top: .4rem; } table { font-size: .8rem; } }
`;

export const INBOX_JS = `'use strict';
// countersign inbox: countdowns and live updates over server-sent events.
(() => {
  const live = document.getElementById('live');
  const format = (ms) => {
    const s = Math.ceil(ms / 1000);
    const m = Math.floor(s / 60);
    const h = Math.floor(m / 60);
    if (h > 0) return h + 'h ' + (m % 60) + 'm left';
    if (m > 0) return m + 'm ' + String(s % 60).padStart(2, '0') + 's left';
    return s + 's left';
  };
  const tick = () => {
    for (const el of document.querySelectorAll('[data-expires]')) {
      const left = Number(el.getAttribute('data-expires')) - Date.now();
      el.textContent = left <= 0 ? 'deadline passed' : format(left);
    }
  };
  tick();
  setInterval(tick, 1000);
  const main = document.getElementById('main');
  if (!main || !main.hasAttribute('data-live')) return;
  const watching = main.getAttribute('data-request');
  let busy = false;
  let again = false;
  const refresh = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (!response.ok) return;
      const next = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('main');
      const current = document.getElementById('main');
      if (!next || !current) return;
      const typed = current.querySelector('textarea');
      const focused = document.activeElement && document.activeElement.id;
      current.replaceWith(document.adoptNode(next));
      const area = next.querySelector('textarea');
      if (typed && area) area.value = typed.value;
      if (focused) { const el = document.getElementById(focused); if (el) el.focus(); }
      if (live) live.textContent = 'Updated ' + new Date().toLocaleTimeString();
      document.body.dataset.updates = String(Number(document.body.dataset.updates || '0') + 1);
      tick();
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  };
  const source = new EventSource('/inbox/events');
  source.addEventListener('changed', (event) => {
    const change = JSON.parse(event.data);
    if (!watching || change.id === watching) refresh();
  });
  source.addEventListener('ready', () => { document.body.dataset.live = 'connected'; });
})();
`;
