import type { AgentRow, FleetSummary, PendingWork } from './readFleet.js';

/** What the page is rendered with. */
export interface PageData {
  readonly namespace: string | null;
  readonly allowRebuild: boolean;
  readonly fleet: FleetSummary;
  readonly agents: readonly AgentRow[];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON inside a `<script>` element: `<` escaped, so no value can close the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const STATES = ['COLD', 'HYDRATING', 'ACTIVE', 'FLUSHING', 'EXPIRED'];

/** `1 wait, 2 timers`; empty when nothing is pending (public/app.js renders the same text). */
function pendingText(p: PendingWork): string {
  const parts = [];
  if (p.waits > 0) parts.push(`${p.waits} wait${p.waits === 1 ? '' : 's'}`);
  if (p.timers > 0) parts.push(`${p.timers} timer${p.timers === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/**
 * The fleet page: server-rendered (counts and the agents table are in the HTML), then kept live
 * by `/assets/app.js` over the fleet stream and the agent sync endpoint. No build step.
 */
export function renderPage(d: PageData): string {
  const counts = STATES.map((s) => `<div class="card state-${s}" data-state="${s}"><div class="n">${d.fleet.agents[s] ?? 0}</div><div class="label">${s}</div></div>`).join('');
  const rows = d.agents.map((a) => `<tr data-agent="${escapeHtml(a.agentId)}"><td class="id"><a href="#/agents/${encodeURIComponent(a.agentId)}">${escapeHtml(a.agentId)}</a></td><td>${escapeHtml(a.agentType)}</td><td><span class="pill state-${escapeHtml(a.state)}">${escapeHtml(a.state)}</span></td><td>${escapeHtml(a.owner ?? '')}</td><td class="pending">${escapeHtml(pendingText(a.pending))}</td><td class="last">${escapeHtml(a.lastEvent ? `${a.lastEvent.type} ${a.lastEvent.summary}` : '')}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mister Smith fleet${d.namespace ? ` (${escapeHtml(d.namespace)})` : ''}</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<header>
  <h1>Mister Smith</h1>
  <span class="ns">${d.namespace ? `namespace ${escapeHtml(d.namespace)}` : 'default namespace'}</span>
  <nav><a href="#/" data-nav="fleet">Fleet</a><a href="#/projections" data-nav="projections">Projections</a></nav>
  <span id="live" class="live off" title="live updates">connecting</span>
</header>
<main>
<section id="view-fleet" class="view">
  <div class="cards" id="state-cards">${counts}<div class="card rate"><div class="n" id="rate">${d.fleet.eventsPerSecond}</div><div class="label">events/s</div></div></div>
  <div class="columns">
    <div class="panel"><h2>Owners</h2><table id="owners"><thead><tr><th>Supervisor</th><th>Agents</th><th>Resident</th><th>Last heartbeat</th></tr></thead><tbody></tbody></table></div>
    <div class="panel"><h2>Tasks</h2><div id="task-counts" class="chips"></div><table id="tasks"><thead><tr><th>Task</th><th>Type</th><th>Agent</th><th>Status</th></tr></thead><tbody></tbody></table></div>
  </div>
  <div class="panel">
    <h2>Agents <span id="agent-count" class="muted">${d.agents.length}</span></h2>
    <div class="filters">
      <input id="f-q" type="search" placeholder="search id" aria-label="search by id">
      <select id="f-type" aria-label="type"><option value="">any type</option></select>
      <select id="f-state" aria-label="state"><option value="">any state</option>${STATES.map((s) => `<option>${s}</option>`).join('')}</select>
      <select id="f-owner" aria-label="owner"><option value="">any owner</option></select>
      <label class="muted"><input id="f-pending" type="checkbox"> waiting or with timers</label>
    </div>
    <table id="agents"><thead><tr><th>Agent</th><th>Type</th><th>State</th><th>Owner</th><th>Waits, timers</th><th>Last event</th></tr></thead><tbody>${rows}</tbody></table>
  </div>
</section>
<section id="view-agent" class="view" hidden>
  <p><a href="#/">&larr; fleet</a></p>
  <h2 id="agent-title"></h2>
  <div id="agent-meta" class="chips"></div>
  <div class="columns">
    <div class="panel"><h2>State</h2><table id="agent-state"><thead><tr><th>Key</th><th>Value</th><th>Version</th><th>Strategy</th></tr></thead><tbody></tbody></table></div>
    <div class="panel"><h2>Timeline</h2><ol id="timeline"></ol></div>
  </div>
  <div class="panel" id="event-detail-panel" hidden><h2>Event</h2><pre id="event-detail"></pre></div>
</section>
<section id="view-projections" class="view" hidden>
  <div class="panel"><h2>Projections <span id="projector-note" class="muted"></span></h2>
  <table id="projections"><thead><tr><th>Projection</th><th>Stream</th><th>State</th><th>Checkpoint</th><th>Head</th><th>Lag</th><th>Rate</th><th>Dead letters</th><th>Rebuild</th></tr></thead><tbody></tbody></table>
  <p class="muted" id="rebuild-note">${d.allowRebuild ? 'Rebuilding is enabled on this server.' : 'Read-only: start the web role with --allow-rebuild (or MISTER_SMITH_WEB_ALLOW_REBUILD=true) to rebuild from here.'}</p>
  </div>
  <div class="panel"><h2>Checkpoints</h2><table id="checkpoints"><thead><tr><th>Projection</th><th>Stream</th><th>Epoch</th><th>Sequence</th><th>Status</th><th>Updated</th></tr></thead><tbody></tbody></table></div>
  <div class="panel"><h2>Dead letters</h2><div id="dl-counts" class="chips"></div><table id="dead-letters"><thead><tr><th>#</th><th>Source</th><th>Subject</th><th>Seq</th><th>Reason</th><th>At</th></tr></thead><tbody></tbody></table></div>
</section>
</main>
<script id="initial" type="application/json">${scriptJson(d)}</script>
<script type="module" src="/assets/app.js"></script>
</body>
</html>`;
}

/** The page a browser gets without a valid token: a form that opens `/?token=...`. */
export function renderTokenPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mister Smith: token required</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><main class="login"><h1>Mister Smith</h1><p>${escapeHtml(message)}</p>
<form method="get" action="/"><input name="token" type="password" placeholder="token" aria-label="token" autofocus> <button>Open</button></form></main></body></html>`;
}
