// The fleet page's script: no build step, no dependencies but the sync client, which the web role
// serves from @mister-smith/client's own build. It keeps the server-rendered page live.
import { syncAgent } from '/assets/client/index.js';

const initial = JSON.parse(document.getElementById('initial').textContent);
const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k === 'dataset') Object.assign(e.dataset, v); else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
};
const STATES = ['COLD', 'HYDRATING', 'ACTIVE', 'FLUSHING', 'EXPIRED'];
const ago = (iso) => {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};
const pendingText = (p) => [p && p.waits > 0 ? `${p.waits} wait${p.waits === 1 ? '' : 's'}` : '', p && p.timers > 0 ? `${p.timers} timer${p.timers === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
const short = (v) => { const t = JSON.stringify(v); return t === undefined ? '' : t.length > 80 ? `${t.slice(0, 77)}...` : t; };

// ---- fleet -------------------------------------------------------------------------------
const agents = new Map(initial.agents.map((a) => [a.agentId, a]));
let fleet = initial.fleet;

function renderFleet() {
  for (const s of STATES) { const n = $(`#state-cards [data-state="${s}"] .n`); if (n) n.textContent = fleet.agents[s] ?? 0; }
  $('#rate').textContent = fleet.eventsPerSecond;
  $('#owners tbody').replaceChildren(...fleet.owners.map((o) => el('tr', { dataset: { owner: o.supervisorId } },
    el('td', {}, o.supervisorId), el('td', {}, o.agents), el('td', {}, o.resident), el('td', {}, ago(o.lastHeartbeatAt)))));
  $('#task-counts').replaceChildren(...Object.entries(fleet.tasks).sort().map(([s, n]) => el('span', { class: `chip task-${s}`, dataset: { status: s } }, `${s} ${n}`)));
  $('#tasks tbody').replaceChildren(...fleet.recentTasks.map((t) => el('tr', {},
    el('td', { class: 'mono' }, t.taskId.slice(0, 8)), el('td', {}, t.taskType), el('td', {}, t.agentId ?? ''),
    el('td', {}, el('span', { class: `pill task-${t.status}`, title: t.error ?? '' }, t.status)))));
}

function fillSelect(sel, values) {
  const current = sel.value;
  const first = sel.options[0];
  sel.replaceChildren(first, ...[...values].sort().map((v) => el('option', {}, v)));
  sel.value = current;
}

function renderAgents() {
  const q = $('#f-q').value.trim().toLowerCase();
  const type = $('#f-type').value; const state = $('#f-state').value; const owner = $('#f-owner').value; const pendingOnly = $('#f-pending').checked;
  fillSelect($('#f-type'), new Set([...agents.values()].map((a) => a.agentType)));
  fillSelect($('#f-owner'), new Set([...agents.values()].map((a) => a.owner).filter(Boolean)));
  const shown = [...agents.values()]
    .filter((a) => (!q || a.agentId.toLowerCase().includes(q)) && (!type || a.agentType === type) && (!state || a.state === state) && (!owner || a.owner === owner) && (!pendingOnly || pendingText(a.pending) !== ''))
    .sort((a, b) => a.agentId.localeCompare(b.agentId));
  $('#agents tbody').replaceChildren(...shown.map((a) => el('tr', { dataset: { agent: a.agentId, state: a.state } },
    el('td', { class: 'id' }, el('a', { href: `#/agents/${encodeURIComponent(a.agentId)}` }, a.agentId)),
    el('td', {}, a.agentType),
    el('td', { class: 'state' }, el('span', { class: `pill state-${a.state}` }, a.state)),
    el('td', {}, a.owner ?? ''),
    el('td', { class: 'pending', title: a.pending?.nextTimerAt ? `next timer ${a.pending.nextTimerAt}` : '' }, pendingText(a.pending)),
    el('td', { class: 'last', title: a.lastEvent ? a.lastEvent.time : '' }, a.lastEvent ? `${a.lastEvent.type} ${a.lastEvent.summary} (${ago(a.lastEvent.time)})` : ''))));
  $('#agent-count').textContent = shown.length === agents.size ? `${agents.size}` : `${shown.length} of ${agents.size}`;
}
for (const id of ['#f-q', '#f-type', '#f-state', '#f-owner', '#f-pending']) $(id).addEventListener('input', renderAgents);

let reloading;
function reloadAgents() {
  reloading ??= fetch('/api/agents').then((r) => r.json()).then((list) => {
    for (const a of list) agents.set(a.agentId, { ...a, lastEvent: agents.get(a.agentId)?.lastEvent ?? a.lastEvent });
    renderAgents();
  }).finally(() => { reloading = undefined; });
}

// ---- projections ---------------------------------------------------------------------------
let projections = { running: false, projections: [], rebuilds: {}, checkpoints: [], deadLetters: { bySource: {}, latest: [] } };
const requested = new Map(); // projection -> its last rebuild report when a new rebuild was asked for

function rebuildCell(p) {
  const last = projections.rebuilds[p.name];
  const status = el('span', { class: 'rebuild-status', dataset: { projection: p.name } });
  if (p.rebuild) {
    const pct = p.rebuild.total > 0 ? Math.min(100, Math.round((p.rebuild.done * 100) / p.rebuild.total)) : 0;
    status.dataset.phase = p.rebuild.phase;
    status.append(el('progress', { max: '100', value: String(pct) }), ` ${p.rebuild.phase} ${p.rebuild.done}/${p.rebuild.total}`);
  } else if (requested.has(p.name)) {
    status.dataset.phase = 'requested';
    status.textContent = 'requested...';
  } else if (last) {
    status.dataset.done = last.ok ? 'ok' : 'failed';
    if (last.ok) status.append(el('progress', { max: '100', value: '100' }), ` rebuilt: ${last.report.events} events (${last.report.read} read, ${last.report.fromArchive} from the archive) in ${last.report.durationMs} ms`);
    else status.textContent = `rebuild failed: ${last.error.code}: ${last.error.message}`;
  }
  const button = el('button', { type: 'button', dataset: { rebuild: p.name }, onclick: () => rebuild(p.name) }, 'Rebuild');
  if (!initial.allowRebuild || p.state === 'rebuilding' || !p.active || requested.has(p.name)) button.disabled = true;
  return el('td', { class: 'rebuild' }, button, ' ', status);
}

async function rebuild(name) {
  // The projector keeps the last report per projection: a different one means this rebuild ended.
  requested.set(name, JSON.stringify(projections.rebuilds[name] ?? null));
  renderProjections();
  const res = await fetch(`/api/projections/${encodeURIComponent(name)}/rebuild`, { method: 'POST', headers: { 'x-mister-smith-action': 'rebuild' } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({ error: { code: String(res.status), message: res.statusText } }));
    requested.delete(name);
    projections.rebuilds[name] = { ok: false, error: body.error };
    renderProjections();
  }
}

function renderProjections() {
  $('#projector-note').textContent = projections.running ? '' : 'no projector answers: checkpoints below are as last recorded';
  const dl = projections.deadLetters.bySource;
  $('#projections tbody').replaceChildren(...projections.projections.map((p) => el('tr', { dataset: { projection: p.name, state: p.state } },
    el('td', {}, p.name), el('td', {}, p.stream),
    el('td', {}, el('span', { class: `pill proj-${p.state}`, title: p.reason ?? '' }, p.active ? p.state : `${p.state} (standby)`)),
    el('td', { class: 'mono' }, `${p.checkpoint.seq}`), el('td', { class: 'mono' }, `${p.head}`),
    el('td', { class: p.lag > 0 ? 'lag warn' : 'lag' }, p.lag), el('td', {}, `${p.rate}/s`), el('td', {}, p.deadLettered + (dl[p.name] ? ` (${dl[p.name]} stored)` : '')),
    rebuildCell(p))));
  $('#checkpoints tbody').replaceChildren(...projections.checkpoints.map((c) => el('tr', {},
    el('td', {}, c.projection), el('td', {}, c.stream), el('td', { class: 'mono' }, c.epoch), el('td', { class: 'mono' }, c.seq), el('td', {}, c.status), el('td', {}, ago(c.updatedAt)))));
  $('#dl-counts').replaceChildren(...Object.entries(dl).map(([s, n]) => el('span', { class: 'chip' }, `${s} ${n}`)));
  $('#dead-letters tbody').replaceChildren(...projections.deadLetters.latest.map((d) => el('tr', {},
    el('td', {}, d.id), el('td', {}, d.source), el('td', { class: 'mono' }, d.subject ?? ''), el('td', {}, d.seq ?? ''), el('td', {}, d.reason), el('td', {}, ago(d.createdAt)))));
}

// ---- one agent -----------------------------------------------------------------------------
let sync;
const timelineSeqs = new Set();

function timelineItem(seq, event) {
  if (timelineSeqs.has(seq)) return;
  timelineSeqs.add(seq);
  const d = event.data ?? {};
  const text = event.type === 'AgentLifecycleChanged' ? `${d.from} -> ${d.to} (${d.reason})`
    : event.type === 'StateChanged' ? `${d.op} ${d.key}${d.op === 'put' ? ` = ${short(d.value)}` : ''}`
      : event.type === 'StateEditedInSql' ? `SQL ${d.operation} ${d.state_key}` : event.type;
  const li = el('li', { dataset: { seq: String(seq), type: event.type, ...(event.type === 'AgentLifecycleChanged' ? { to: d.to } : {}) }, class: `ev ev-${event.type}`, tabindex: '0' },
    el('span', { class: 'seq mono' }, `#${seq}`), ' ', el('span', { class: 'type' }, event.type), ' ', el('span', { class: 'what' }, text), ' ', el('time', { datetime: event.time }, new Date(event.time).toLocaleTimeString()));
  li.addEventListener('click', () => {
    for (const x of document.querySelectorAll('#timeline li.selected')) x.classList.remove('selected');
    li.classList.add('selected');
    $('#event-detail-panel').hidden = false;
    $('#event-detail').textContent = JSON.stringify({ seq, ...event }, null, 2);
  });
  const list = $('#timeline');
  const after = [...list.children].find((x) => Number(x.dataset.seq) < seq);
  list.insertBefore(li, after ?? null);
  while (list.children.length > 200) list.lastElementChild.remove();
}

function renderAgentState() {
  const entries = Object.entries(sync.entries()).sort(([a], [b]) => a.localeCompare(b));
  $('#agent-state tbody').replaceChildren(...entries.map(([k, e]) => el('tr', { dataset: { key: k } },
    el('td', { class: 'mono' }, k), el('td', { class: 'value mono' }, short(e.value)), el('td', { class: 'mono' }, `${e.version.seq}`), el('td', {}, e.strategy))));
  const l = sync.lifecycle();
  $('#agent-meta').replaceChildren(
    el('span', { class: `pill state-${l ? l.state : 'COLD'}`, id: 'agent-lifecycle' }, l ? l.state : 'no lifecycle yet'),
    el('span', { class: 'chip' }, `type ${l ? l.agentType : '?'}`),
    el('span', { class: 'chip' }, `owner ${l?.supervisorId ?? 'none'}`),
    el('span', { class: 'chip', id: 'agent-revision' }, `revision ${sync.revision()}`),
    el('span', { class: `chip ${sync.connected() ? 'ok' : 'warn'}` }, sync.connected() ? 'live' : 'reconnecting'));
}

async function openAgent(id) {
  await closeAgent();
  $('#agent-title').textContent = id;
  $('#timeline').replaceChildren();
  $('#agent-state tbody').replaceChildren();
  $('#event-detail-panel').hidden = true;
  timelineSeqs.clear();
  const s = syncAgent({ baseUrl: '', agentId: id });
  sync = s;
  s.on((u) => {
    if (sync !== s) return;
    if (u.type === 'change') timelineItem(u.change.seq, u.change.event);
    else if (u.type === 'lifecycle') timelineItem(u.lifecycle.seq, u.lifecycle.event);
    else if (u.type === 'event') timelineItem(u.event.seq, u.event.event);
    renderAgentState();
  });
  const history = await fetch(`/api/agents/${encodeURIComponent(id)}/events?limit=60`).then((r) => (r.ok ? r.json() : []));
  if (sync === s) for (const h of history) timelineItem(h.seq, h.event);
}

async function closeAgent() {
  const s = sync;
  sync = undefined;
  if (s) await s.close();
}

// ---- routing and the live feed --------------------------------------------------------------
function route() {
  const hash = location.hash || '#/';
  const agent = /^#\/agents\/(.+)$/.exec(hash);
  const view = agent ? 'agent' : hash === '#/projections' ? 'projections' : 'fleet';
  for (const v of ['fleet', 'agent', 'projections']) $(`#view-${v}`).hidden = v !== view;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.nav === view);
  document.body.dataset.view = view;
  if (agent) void openAgent(decodeURIComponent(agent[1])); else void closeAgent();
}
window.addEventListener('hashchange', route);

const live = $('#live');
const feed = new EventSource('/api/fleet/stream');
feed.addEventListener('open', () => { live.textContent = 'live'; live.className = 'live on'; });
feed.addEventListener('error', () => { live.textContent = 'reconnecting'; live.className = 'live off'; });
feed.addEventListener('fleet', (m) => {
  fleet = JSON.parse(m.data);
  renderFleet();
  let changed = false;
  for (const [id, a] of agents) {
    const p = fleet.pending[id] ?? { waits: 0, timers: 0, nextTimerAt: null };
    if (JSON.stringify(p) !== JSON.stringify(a.pending)) { agents.set(id, { ...a, pending: p }); changed = true; }
  }
  if (changed) renderAgents();
  if (fleet.totalAgents !== agents.size) reloadAgents();
});
feed.addEventListener('agents', (m) => {
  let unknown = false;
  for (const u of JSON.parse(m.data)) {
    const a = agents.get(u.agentId);
    if (!a) { unknown = true; continue; }
    agents.set(u.agentId, { ...a, lastEvent: u.lastEvent, ...(u.state ? { state: u.state } : {}), ...(u.owner ? { owner: u.owner } : {}) });
  }
  renderAgents();
  if (unknown) reloadAgents();
});
feed.addEventListener('projections', (m) => {
  projections = JSON.parse(m.data);
  for (const [name, before] of requested) {
    if (JSON.stringify(projections.rebuilds[name] ?? null) !== before) requested.delete(name);
  }
  renderProjections();
});
setInterval(renderFleet, 5000); // "n seconds ago" moves on between samples

renderFleet();
renderAgents();
renderProjections();
route();
