// SPDX-License-Identifier: MPL-2.0
// Copyright (c) 2026 the Helios developers
//
// The dashboard's script. It reads the master's API once, then lives on
// /api/events (server-sent events, read with fetch so that a token can
// go with it): health every second moves the number and the charts;
// cycle.*, agent.* and alert.* events refresh the panels they concern.
// Charts are uPlot's.
'use strict';

const HISTORY = 600; // seconds of points the charts keep
const state = {
  token: sessionStorage.getItem('helios-token') || '',
  metrics: [], // from /api/metrics: name, unit, target, critical...
  health: { target: 85, threshold: 50 },
  xs: [], score: [], cats: { frontend: [], backend: [], business: [] },
  values: {}, // metric -> [value per x]
  charts: {}, // 'health' and one per metric
  status: null,
  runs: {}, // id -> report, once finished
  live: { events: 0, lastHealthAt: 0 },
};
window.helios = state.live; // what a test may look at

const $ = (sel) => document.querySelector(sel);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

function fmt(v) {
  if (v === null || v === undefined || !isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function headers() {
  return state.token ? { Authorization: 'Bearer ' + state.token } : {};
}

async function api(path) {
  const res = await fetch(path, { headers: headers(), cache: 'no-store' });
  if (res.status === 401) {
    askToken();
    throw new Error('unauthorized');
  }
  if (!res.ok) throw new Error(path + ': ' + res.status);
  return res.json();
}

function askToken() {
  const form = $('#token-form');
  form.hidden = false;
  form.onsubmit = (e) => {
    e.preventDefault();
    state.token = $('#token').value.trim();
    sessionStorage.setItem('helios-token', state.token);
    form.hidden = true;
    start();
  };
}

// ---------------------------------------------------------------- charts

function chartWidth(node) {
  return Math.max(200, node.clientWidth - 4);
}

function healthChart() {
  const node = $('#health-chart');
  const n = state.xs.length;
  const flat = (v) => new Array(n).fill(v);
  const opts = {
    width: chartWidth(node), height: 220,
    scales: { y: { range: [0, 100] } },
    axes: [{ stroke: '#8a97a6', grid: { stroke: '#263241' } },
      { stroke: '#8a97a6', grid: { stroke: '#263241' } }],
    series: [{},
      { label: 'health', stroke: '#58a6ff', width: 2 },
      { label: 'frontend', stroke: '#a371f7' },
      { label: 'backend', stroke: '#3fb950' },
      { label: 'business', stroke: '#d29922' },
      { label: 'target', stroke: '#8a97a6', dash: [6, 4] },
      { label: 'emergency', stroke: '#f85149', dash: [2, 4] }],
  };
  const data = [state.xs, state.score, state.cats.frontend,
    state.cats.backend, state.cats.business, flat(state.health.target),
    flat(state.health.threshold)];
  node.textContent = '';
  state.charts.health = new uPlot(opts, data, node);
}

function kpiCards() {
  const box = $('#kpis');
  box.textContent = '';
  for (const m of state.metrics) {
    const card = el('div', 'kpi');
    card.dataset.metric = m.name;
    const head = el('div', 'kpi-head');
    head.append(el('span', 'kpi-name', m.name), el('span', 'score', '–'));
    const cat = el('div', 'kpi-cat',
      m.category + ' · ' + m.stat + ' · ' + (m.better === 'lower'
        ? 'lower is better' : 'higher is better') + (m.key ? ' · key' : ''));
    const val = el('div');
    const num = el('span', 'kpi-value', '–');
    val.append(num, el('span', 'kpi-unit', m.unit));
    const levels = el('div', 'kpi-levels',
      'target ' + fmt(m.target) + ' · critical ' + fmt(m.critical));
    const chart = el('div', 'chart');
    card.append(head, cat, val, levels, chart);
    box.append(card);
    const n = state.xs.length;
    const opts = {
      width: 250, height: 90, legend: { show: false }, cursor: { show: false },
      axes: [{ show: false }, { size: 52, stroke: '#8a97a6',
        grid: { stroke: '#263241' }, font: '10px sans-serif' }],
      series: [{}, { stroke: '#58a6ff', width: 1.5 },
        { stroke: '#3fb950', dash: [6, 4] },
        { stroke: '#f85149', dash: [2, 4] }],
    };
    const vals = state.values[m.name] || new Array(n).fill(null);
    state.values[m.name] = vals;
    state.charts[m.name] = new uPlot(opts, [state.xs, vals,
      new Array(n).fill(m.target), new Array(n).fill(m.critical)], chart);
  }
}

function redraw() {
  const n = state.xs.length;
  const flat = (v) => new Array(n).fill(v);
  if (state.charts.health)
    state.charts.health.setData([state.xs, state.score, state.cats.frontend,
      state.cats.backend, state.cats.business, flat(state.health.target),
      flat(state.health.threshold)]);
  for (const m of state.metrics)
    if (state.charts[m.name])
      state.charts[m.name].setData([state.xs, state.values[m.name],
        flat(m.target), flat(m.critical)]);
}

// ---------------------------------------------------------------- health

function showHealth(h, tsMs) {
  const score = h && isFinite(h.score) ? h.score : null;
  const big = $('#health-score');
  big.textContent = score === null ? '–' : score.toFixed(1);
  big.dataset.state = h ? h.state : 'nodata';
  $('#health-state').textContent = h ? h.state + (h.capped ? ' (capped)' : '')
    : 'no data';
  if (h && h.categories)
    $('#health-detail').textContent = Object.entries(h.categories)
      .map(([k, v]) => k + ' ' + fmt(v)).join(' · ');
  for (const m of state.metrics) {
    const card = document.querySelector('.kpi[data-metric="' + m.name + '"]');
    const cur = h && h.metrics ? h.metrics[m.name] : null;
    if (!card) continue;
    const num = card.querySelector('.kpi-value');
    const badge = card.querySelector('.score');
    num.textContent = cur ? fmt(cur.value) : '–';
    num.dataset.value = cur && isFinite(cur.value) ? String(cur.value) : '';
    badge.textContent = cur && isFinite(cur.score) ? fmt(cur.score) : 'no data';
    badge.dataset.state = cur ? cur.state : 'nodata';
  }
  if (tsMs) $('#updated').textContent =
    'updated ' + new Date(tsMs).toLocaleTimeString();
}

function addPoint(h, tsMs) {
  state.xs.push(tsMs / 1000);
  state.score.push(h && isFinite(h.score) ? h.score : null);
  for (const c of Object.keys(state.cats))
    state.cats[c].push(h && h.categories && isFinite(h.categories[c])
      ? h.categories[c] : null);
  for (const m of state.metrics) {
    const cur = h && h.metrics ? h.metrics[m.name] : null;
    state.values[m.name].push(cur && isFinite(cur.value) ? cur.value : null);
  }
  if (state.xs.length > HISTORY) {
    state.xs.shift();
    state.score.shift();
    for (const c of Object.keys(state.cats)) state.cats[c].shift();
    for (const m of state.metrics) state.values[m.name].shift();
  }
  redraw();
}

// ---------------------------------------------------------------- panels

const SWARMS = {
  frontend: ['prometheus-frontend', 'hephaestus-frontend', 'athena-ux'],
  backend: ['prometheus-backend', 'hephaestus-backend', 'athena-api'],
};

function showAgents(agents) {
  const box = $('#agents');
  box.textContent = '';
  for (const [swarm, roles] of Object.entries(SWARMS)) {
    const div = el('div', 'swarm');
    div.dataset.swarm = swarm;
    div.append(el('h3', null, swarm + ' swarm'));
    const table = el('table');
    table.innerHTML = '<thead><tr><th>role</th><th>agent</th>' +
      '<th>tasks</th><th>done</th><th>beat</th></tr></thead>';
    const body = el('tbody');
    for (const role of roles) {
      const mine = agents.filter((a) => a.role === role);
      if (!mine.length) {
        const tr = el('tr');
        tr.append(el('td', null, role), el('td', 'dim', 'none'),
          el('td'), el('td'), el('td'));
        body.append(tr);
      }
      for (const a of mine) {
        const tr = el('tr', 'agent');
        tr.dataset.role = role;
        tr.append(el('td', null, role), el('td', null, a.name),
          el('td', 'num', a.inflight + '/' + a.capacity),
          el('td', 'num', String(a.tasks_done)),
          el('td', 'num', a.last_heartbeat_ms_ago + ' ms'));
        body.append(tr);
      }
    }
    table.append(body);
    div.append(table);
    box.append(div);
  }
}

function showLearning(reply) {
  const body = $('#learning tbody');
  body.textContent = '';
  let rows = reply.actions || {};
  if (Array.isArray(rows))
    rows = Object.fromEntries(rows.map((r) => [r.name || r.action, r]));
  const now = Date.now() * 1000;
  for (const [name, a] of Object.entries(rows)) {
    const tr = el('tr');
    const q = a.quarantine || {};
    const until = q.until || a.quarantined_until || 0;
    const quarantined = until > now;
    tr.append(el('td', quarantined ? 'quarantined' : null, name),
      el('td', 'num', fmt(a.p)),
      el('td', 'num', (a.successes || 0) + ' / ' + (a.failures || 0)),
      el('td', 'num', a.improvement === null || a.improvement === undefined
        ? '–' : (a.improvement * 100).toFixed(0) + '%'),
      el('td', quarantined ? 'quarantined' : 'dim', quarantined
        ? 'until ' + new Date(until / 1000).toLocaleTimeString() : 'none'));
    body.append(tr);
  }
}

function showRuns(list) {
  const box = $('#runs');
  box.textContent = '';
  for (const r of list.slice(0, 8)) {
    const div = el('div', 'run');
    div.dataset.run = r.id;
    const head = el('div', 'run-head');
    head.append(el('b', null, '#' + r.id + ' ' + r.kind),
      el('span', null, r.phase),
      el('span', null, 'health ' + fmt(r.health_before) + ' → ' +
        fmt(r.health_after)),
      el('span', 'outcome-kept', r.kept + ' kept'),
      el('span', 'outcome-rolled_back', r.rolled_back + ' rolled back'),
      el('span', 'outcome-failed', r.failed + ' failed'));
    div.append(head);
    const report = state.runs[r.id];
    if (report && report.actions && report.actions.length) {
      const table = el('table');
      table.innerHTML = '<thead><tr><th>action</th><th>swarm</th>' +
        '<th>verdict</th><th>outcome</th><th>effect</th><th>p</th>' +
        '</tr></thead>';
      const body = el('tbody');
      for (const a of report.actions) {
        const tr = el('tr');
        tr.append(el('td', null, a.name), el('td', null, a.swarm),
          el('td', 'verdict-' + a.verdict, a.verdict),
          el('td', 'outcome-' + a.outcome, a.outcome),
          el('td', 'num', isFinite(a.effect)
            ? (a.effect * 100).toFixed(1) + '%' : '–'),
          el('td', 'num', isFinite(a.p_value) ? a.p_value.toPrecision(2)
            : '–'));
        body.append(tr);
      }
      table.append(body);
      div.append(table);
    }
    box.append(div);
  }
}

function showEmergency(status) {
  const em = status && status.cycle ? status.cycle.emergency : null;
  const box = $('#emergency');
  if (em && em.active) {
    box.hidden = false;
    box.textContent = 'EMERGENCY: round ' + em.rounds + ' (emergency #' +
      em.count + ')';
  } else {
    box.hidden = true;
  }
}

function logEvent(topic, text, alert) {
  const li = el('li', alert ? 'alert' : null,
    new Date().toLocaleTimeString() + '  ' + topic + '  ' + text);
  const list = $('#events');
  list.prepend(li);
  while (list.children.length > 60) list.lastChild.remove();
}

// ---------------------------------------------------------------- refresh

const pending = {};
function soon(what, fn, ms) {
  if (pending[what]) return;
  pending[what] = setTimeout(() => {
    pending[what] = null;
    fn().catch(() => {});
  }, ms);
}

async function refreshAgents() { showAgents(await api('/api/agents')); }
async function refreshLearning() { showLearning(await api('/api/actions')); }
async function refreshStatus() {
  state.status = await api('/api/status');
  showEmergency(state.status);
}
async function refreshRuns() {
  const list = await api('/api/cycles');
  for (const r of list.slice(0, 8))
    if (!state.runs[r.id] && r.phase === 'done')
      try { state.runs[r.id] = await api('/api/cycles/' + r.id); } catch (e) {}
  showRuns(list);
}

// ---------------------------------------------------------------- events

function onEvent(name, data) {
  state.live.events++;
  let msg;
  try { msg = JSON.parse(data); } catch (e) { return; }
  if (name === 'status') {
    state.status = msg;
    showEmergency(msg);
    showHealth(msg.health, Date.now());
    return;
  }
  const body = msg.body || {};
  if (name === 'health') {
    const tsMs = msg.ts / 1000;
    state.live.lastHealthAt = performance.now();
    state.live.lastHealthTs = tsMs;
    showHealth(body.data, tsMs);
    addPoint(body.data, tsMs);
  } else if (name.startsWith('cycle.')) {
    if (name !== 'cycle.phase')
      logEvent(name, '#' + body.cycle_id + ' ' + (body.data && body.data.kind
        || ''));
    soon('runs', refreshRuns, 300);
    if (name === 'cycle.finished') soon('learning', refreshLearning, 300);
  } else if (name.startsWith('agent.')) {
    logEvent(name, body.name || '');
    soon('agents', refreshAgents, 300);
  } else if (name.startsWith('alert.')) {
    logEvent(name, body.text || body.message || JSON.stringify(body).slice(0, 160),
      true);
    soon('status', refreshStatus, 100);
  }
}

let streamDelay = 1000;
async function stream() {
  const conn = $('#conn');
  try {
    const res = await fetch('/api/events', { headers: headers(),
      cache: 'no-store' });
    if (res.status === 401) { askToken(); return; }
    if (!res.ok || !res.body) throw new Error('events: ' + res.status);
    conn.dataset.state = 'live';
    conn.textContent = 'live';
    streamDelay = 1000;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let at;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        let name = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) name = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length) onEvent(name, data.join('\n'));
      }
    }
  } catch (e) { /* the master went away, or dropped a slow stream */ }
  conn.dataset.state = 'down';
  conn.textContent = 'reconnecting';
  setTimeout(stream, streamDelay);
  streamDelay = Math.min(streamDelay * 2, 16000);
}

// ---------------------------------------------------------------- start

async function start() {
  try {
    const m = await api('/api/metrics');
    state.metrics = m.metrics;
    state.health = m.health;
    const hist = await api('/api/history');
    state.xs = hist.ts.map((t) => t / 1000);
    state.score = hist.score;
    for (const c of Object.keys(state.cats))
      state.cats[c] = hist.categories[c] || new Array(state.xs.length).fill(null);
    for (const mm of state.metrics)
      state.values[mm.name] = hist.metrics[mm.name]
        ? hist.metrics[mm.name].value : new Array(state.xs.length).fill(null);
    healthChart();
    kpiCards();
    showHealth(m.health.score === undefined ? null : {
      score: m.health.score, state: m.health.state,
      categories: m.health.categories, capped: m.health.capped,
      metrics: Object.fromEntries(m.metrics.map((x) => [x.name, x])),
    });
  } catch (e) {
    if (e.message === 'unauthorized') return;
    setTimeout(start, 2000);
    return;
  }
  stream();
  refreshAgents().catch(() => {});
  refreshRuns().catch(() => {});
  refreshLearning().catch(() => {});
  refreshStatus().catch(() => {});
  // What events do not say: heartbeat ages, queued work.
  setInterval(() => {
    refreshAgents().catch(() => {});
    refreshStatus().catch(() => {});
  }, 5000);
  window.addEventListener('resize', () => {
    if (state.charts.health)
      state.charts.health.setSize({ width: chartWidth($('#health-chart')),
        height: 220 });
  });
}

start();
