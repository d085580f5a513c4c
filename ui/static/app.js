// veil console: a read-only view of one node through its documented /v1
// API. Plain ES module, no build step, no dependency. Every URL is
// root-relative (/v1/…, /readyz, /audit/info), so the same files work on a
// node (served at /ui/) and behind the audit workspace, which proxies /v1.

// ---- DOM helpers -----------------------------------------------------------

const $ = (sel, root = document) => root.querySelector(sel);

// h builds an element: h('a', {href: '#/'}, 'text', child, …). Text is
// always set as text, never parsed as HTML: payloads and labels are data.
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const kid of kids.flat(Infinity)) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG, tag);
  setAttrs(el, attrs);
  for (const kid of kids.flat(Infinity)) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

const short = (hex, n = 12) => (hex && hex.length > n + 2 ? hex.slice(0, n) + '…' : hex || '');
const hash = (hex, n = 12) => h('code', {class: 'hash', title: hex}, short(hex, n));
const fullHash = (hex, id) => h('code', {class: 'hash full', id}, hex || '—');
const link = (href, ...kids) => h('a', {href}, ...kids);
const blockLink = (height) => link(`#/block/${height}`, String(height));
const txLink = (id, n = 16) => h('a', {href: `#/tx/${id}`, class: 'hash', title: id}, short(id, n));
const enc = encodeURIComponent;
const plural = (n, one, many = one + 's') => `${n} ${n === 1 ? one : many}`;

function codeBadge(code) {
  if (!code) return h('span', {class: 'code code-unknown'}, 'unknown');
  return h('span', {class: `code ${code === 'ok' ? 'code-ok' : 'code-bad'}`, 'data-code': code}, code);
}

function stateBadge(state) {
  return h('span', {class: `state state-${state}`}, state);
}

function dl(rows, attrs) {
  const d = h('dl', Object.assign({class: 'facts'}, attrs));
  for (const row of rows) {
    if (!row) continue;
    const [term, value, id] = row;
    d.append(h('div', null, h('dt', null, term), h('dd', id ? {id} : null, value ?? '—')));
  }
  return d;
}

function section(title, id, ...kids) {
  return h('section', {'aria-labelledby': `${id}-h`, class: 'card'}, h('h2', {id: `${id}-h`}, title), ...kids);
}

function table(caption, heads, rows, attrs) {
  const t = h('table', attrs,
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, heads.map((x) => h('th', {scope: 'col'}, x)))),
    h('tbody', null, rows));
  return h('div', {class: 'table-wrap'}, t);
}

const pad = (n) => String(n).padStart(2, '0');
function fmtTime(iso) {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '—';
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
}
function ago(iso) {
  const d = (Date.now() - Date.parse(iso)) / 1000;
  if (!Number.isFinite(d)) return '';
  if (d < 2) return 'just now';
  if (d < 90) return `${Math.round(d)} s ago`;
  if (d < 5400) return `${Math.round(d / 60)} min ago`;
  if (d < 172800) return `${Math.round(d / 3600)} h ago`;
  return `${Math.round(d / 86400)} days ago`;
}
const timeEl = (iso) => h('time', {datetime: iso, title: iso}, fmtTime(iso));

// ---- API -------------------------------------------------------------------

class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// api GETs a /v1 path and decodes its JSON. A refusal becomes an APIError
// with the API's stable code; no answer at all marks the node unreachable.
async function api(path, signal) {
  let res;
  try {
    res = await fetch(path, {signal, cache: 'no-store', headers: {Accept: 'application/json'}});
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    health.set({reachable: false, why: 'no answer'});
    throw new APIError(0, 'unreachable', 'cannot reach the node');
  }
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok && !body && res.status >= 502) {
    // A proxy in front of the node (the audit workspace) answers for it.
    health.set({reachable: false, why: `HTTP ${res.status}`});
    throw new APIError(res.status, 'unreachable', 'cannot reach the node');
  }
  health.set({reachable: true});
  if (!res.ok) {
    const e = body && body.error;
    throw new APIError(res.status, (e && e.code) || `http_${res.status}`, (e && e.message) || res.statusText);
  }
  return body;
}

// pool runs fn over items, at most n at a time.
async function pool(items, n, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({length: Math.min(n, items.length)}, worker));
}

// ---- node state, health and the banner -------------------------------------

const node = {status: null, peers: [], groups: null};

const health = {
  reachable: true,
  ready: true,
  readyMsg: '',
  why: '',
  live: false,
  wasLive: false,
  set(patch) {
    let changed = false;
    for (const [k, v] of Object.entries(patch)) {
      if (this[k] !== v) {
        this[k] = v;
        changed = true;
      }
    }
    if (changed) renderBanner();
  },
};

function renderBanner() {
  const b = $('#banner');
  let state = '';
  let title = '';
  let msg = '';
  if (!health.reachable) {
    state = 'down';
    title = 'Cannot reach the node.';
    msg = `Its API does not answer (${health.why || 'no answer'}). The console keeps what it showed last and retries every few seconds.`;
  } else if (!health.ready) {
    state = 'not-ready';
    title = 'The node is not ready.';
    msg = `/readyz says: ${health.readyMsg || 'not ready'}. What it shows may be stale, and it refuses transactions until it is ready.`;
  } else if (health.wasLive && !health.live) {
    state = 'stale';
    title = 'Live updates paused.';
    msg = 'The /v1/events stream closed; the console reconnects and catches up from the last block it saw.';
  }
  if (b.dataset.state === state && b.dataset.msg === msg) return;
  b.dataset.state = state;
  b.dataset.msg = msg;
  b.hidden = !state;
  b.replaceChildren(...(state ? [h('strong', null, title), ' ', msg] : []));
  document.documentElement.dataset.health = state || 'ok';
  const foot = $('#foot-live');
  if (foot) foot.textContent = health.live ? 'live updates: on' : 'live updates: off';
}

// poll reads /readyz, /v1/status and /v1/peers every few seconds; pages
// hear of it as a {type: "status"} event.
async function poll() {
  try {
    const res = await fetch('/readyz', {cache: 'no-store', headers: {Accept: 'application/json'}});
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (res.ok) health.set({reachable: true, ready: true, readyMsg: ''});
    else if (res.status === 503 && body && body.error) health.set({reachable: true, ready: false, readyMsg: body.error.message});
    else if (res.status >= 502 && !body) health.set({reachable: false, why: `HTTP ${res.status}`});
    else health.set({reachable: true, ready: false, readyMsg: `HTTP ${res.status}`});
  } catch {
    health.set({reachable: false, why: 'no answer'});
  }
  if (health.reachable) {
    try {
      const [st, peers] = await Promise.all([api('/v1/status'), api('/v1/peers')]);
      node.status = st;
      node.peers = Array.isArray(peers) ? peers : [];
      $('#foot-node').textContent = `node ${st.node_id} (${st.role})`;
      $('#foot-chain').textContent = `chain ${st.chain_id}`;
      if (!live.started) startEvents(st.height);
    } catch {
      // the banner says why
    }
  }
  emit({type: 'status'});
}

// ---- the event stream ------------------------------------------------------

// live holds what /v1/events brought: the latest blocks (newest last) and
// the topics of recent transactions. Pages subscribe to its events.
const live = {started: false, last: 0, blocks: [], topics: new Map(), subs: new Set(), retry: 0};
const KEEP_BLOCKS = 600;

function emit(ev) {
  for (const fn of live.subs) {
    try {
      fn(ev);
    } catch (err) {
      console.error(err);
    }
  }
}

// startEvents backfills the last 200 blocks (the chart's minutes) and
// continues live; on a close it resumes after the last block it saw.
function startEvents(head) {
  live.started = true;
  connect(Math.max(1, head - 199));
}

function connect(from) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let ws;
  try {
    ws = new WebSocket(`${proto}//${location.host}/v1/events?from_height=${from}`);
  } catch {
    retryConnect(from);
    return;
  }
  ws.onopen = () => {
    live.retry = 0;
    health.set({live: true, wasLive: true});
  };
  ws.onmessage = (m) => {
    let ev;
    try {
      ev = JSON.parse(m.data);
    } catch {
      return;
    }
    onEvent(ev);
  };
  ws.onclose = () => {
    health.set({live: false});
    retryConnect(live.last ? live.last + 1 : from);
  };
}

function retryConnect(from) {
  live.retry = Math.min(live.retry + 1, 5);
  setTimeout(() => connect(from), 500 * 2 ** live.retry);
}

function onEvent(ev) {
  if (ev.type === 'block' && ev.block) {
    if (ev.height <= live.last) return;
    live.last = ev.height;
    live.blocks.push(ev.block);
    if (live.blocks.length > KEEP_BLOCKS) live.blocks.splice(0, live.blocks.length - KEEP_BLOCKS);
  } else if (ev.type === 'tx' && ev.tx && ev.tx.topic) {
    live.topics.set(ev.tx.topic, (live.topics.get(ev.tx.topic) || 0) + 1);
  }
  emit(ev);
}

// head is the highest block the console knows of.
function head() {
  const st = node.status;
  const lb = live.blocks[live.blocks.length - 1];
  if (lb && (!st || lb.height >= st.height)) return {height: lb.height, hash: lb.hash};
  return st ? {height: st.height, hash: st.head_hash} : {height: 0, hash: ''};
}

// ---- router ----------------------------------------------------------------

const routes = [
  [/^\/$/, 'overview', overviewPage],
  [/^\/blocks$/, 'blocks', blocksPage],
  [/^\/block\/(\d+)$/, 'blocks', blockPage],
  [/^\/tx\/([0-9a-fA-F]{64})(?:\/block\/(\d+))?$/, 'blocks', txPage],
  [/^\/groups$/, 'groups', groupsPage],
  [/^\/group\/(.+)$/, 'groups', groupPage],
  [/^\/topics$/, 'topics', topicsPage],
  [/^\/topic\/(.+)$/, 'topics', topicPage],
  [/^\/search\/(.*)$/, '', searchPage],
];

let current = null;
let firstRoute = true;

function route() {
  const hashPath = location.hash || '#/';
  if (!hashPath.startsWith('#/')) return; // the skip link, or an anchor
  const path = hashPath.slice(1);
  if (current) current.stop();
  const ac = new AbortController();
  const subs = [];
  const timers = [];
  current = {
    stop() {
      ac.abort();
      subs.forEach((f) => live.subs.delete(f));
      timers.forEach(clearInterval);
    },
  };
  const ctx = {
    signal: ac.signal,
    get alive() {
      return !ac.signal.aborted;
    },
    on(fn) {
      subs.push(fn);
      live.subs.add(fn);
    },
    every(ms, fn) {
      timers.push(setInterval(fn, ms));
    },
    api: (p) => api(p, ac.signal),
  };
  const main = $('#main');
  main.replaceChildren();
  let page = notFoundPage;
  let name = '';
  let params = [];
  for (const [re, nav, fn] of routes) {
    const m = path.match(re);
    if (m) {
      page = fn;
      name = nav;
      params = m.slice(1).map((p) => {
        if (p === undefined) return p;
        try {
          return decodeURIComponent(p);
        } catch {
          return p;
        }
      });
      break;
    }
  }
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.dataset.page = page.name;
  if (!firstRoute) {
    main.focus({preventScroll: true});
    window.scrollTo(0, 0);
  }
  firstRoute = false;
  Promise.resolve()
    .then(() => page(main, ctx, ...params))
    .catch((err) => {
      if (err && err.name === 'AbortError') return;
      main.append(errorBox(err));
    })
    .finally(() => {
      if (!ctx.alive) return;
      const h1 = $('h1', main);
      document.title = h1 ? `${h1.textContent} · veil console` : 'veil console';
      main.dataset.ready = 'true';
      document.dispatchEvent(new CustomEvent('veil:render', {detail: {page: page.name, root: main}}));
    });
  main.dataset.ready = 'false';
}

function go(hashPath) {
  history.replaceState(null, '', hashPath);
  route();
}

function errorBox(err) {
  const what = err instanceof APIError
    ? err.status === 0 ? 'The node did not answer.' : `The node answered ${err.status} ${err.code}: ${err.message}`
    : String(err && err.message ? err.message : err);
  return h('p', {class: 'error', role: 'status'}, 'Could not load this page. ', what);
}

function title(main, text, sub) {
  main.append(h('h1', null, text));
  if (sub) main.append(h('p', {class: 'lead'}, sub));
}

// later runs fn at most every ms (live updates that come in bursts).
function later(ctx, ms, fn) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      if (ctx.alive) fn();
    }, ms);
  };
}

function notFoundPage(main) {
  title(main, 'Not found', 'No page of the console has this address.');
  main.append(h('p', null, link('#/', 'Back to the overview')));
}

// ---- overview --------------------------------------------------------------

const WINDOW_S = 300; // the chart's minutes
const BUCKET_S = 10;

async function overviewPage(main, ctx) {
  title(main, 'Overview');
  const stats = h('div', {class: 'stats-wrap'});
  const chart = section('Activity, last 5 minutes', 'activity');
  const nodes = section('Nodes', 'nodes');
  const recent = section('Latest blocks', 'recent');
  main.append(stats, chart, nodes, recent);
  const chartBody = h('div', {class: 'charts'});
  chart.append(chartBody, h('p', {class: 'muted small'}, 'From the /v1/events stream: blocks are cut only when transactions wait, so an idle chain makes no blocks.'));
  const nodesBody = h('div');
  nodes.append(nodesBody);
  const recentBody = h('div');
  recent.append(recentBody, h('p', null, link('#/blocks', 'All blocks →')));

  const draw = () => {
    const st = node.status;
    const hd = head();
    const act = activity();
    stats.replaceChildren(dl([
      ['Height', String(hd.height), 'height'],
      ['Head hash', fullHash(hd.hash, 'head-hash')],
      ['Leader', st ? st.leader || 'none known' : '—', 'leader'],
      ['Mempool', st ? plural(st.mempool, 'transaction') : '—', 'mempool'],
      ['Block rate', `${act.perMin.toFixed(1)} blocks/min`, 'block-rate'],
      ['Throughput', `${act.txps.toFixed(2)} tx/s`, 'tx-rate'],
      ['This node', st ? `${st.node_id} (${st.role})` : '—', 'self'],
      ['Chain', st ? st.chain_id : '—', 'chain'],
    ], {class: 'facts stats'}));
    chartBody.replaceChildren(
      sparkline('Blocks per 10 s', act.blocks, 'blocks', act.lastBlock ? `last block ${ago(act.lastBlock)}` : 'no block in the window'),
      sparkline('Transactions per second', act.tps, 'txs', `${act.txs} in 5 min`),
    );
    nodesBody.replaceChildren(nodesTable());
    // Links: rebuilt only when a block came, so that keyboard focus stays.
    if (recentBody.dataset.top !== String(live.last)) {
      recentBody.dataset.top = String(live.last);
      recentBody.replaceChildren(blocksTable(live.blocks.slice(-8).reverse(), 'recent-blocks'));
    }
  };
  draw();
  const drawSoon = later(ctx, 250, draw);
  ctx.on((ev) => {
    if (ev.type === 'block' || ev.type === 'status') drawSoon();
  });
  ctx.every(5000, draw); // the chart slides even when no block comes
}

// activity buckets the blocks of the last five minutes by their time.
function activity() {
  const n = WINDOW_S / BUCKET_S;
  const blocks = new Array(n).fill(0);
  const txs = new Array(n).fill(0);
  const now = Date.now();
  let count = 0;
  let txCount = 0;
  let lastBlock = '';
  for (let i = live.blocks.length - 1; i >= 0; i--) {
    const b = live.blocks[i];
    const age = (now - Date.parse(b.time)) / 1000;
    if (!lastBlock) lastBlock = b.time;
    if (age > WINDOW_S) break;
    const k = n - 1 - Math.max(0, Math.floor(age / BUCKET_S));
    blocks[k]++;
    txs[k] += b.tx_ids.length;
    count++;
    txCount += b.tx_ids.length;
  }
  return {blocks, tps: txs.map((x) => x / BUCKET_S), perMin: count / (WINDOW_S / 60), txps: txCount / WINDOW_S, txs: txCount, lastBlock};
}

// sparkline draws a series as an SVG line over an area, with its peak.
function sparkline(label, data, cls, note) {
  const w = 300;
  const ht = 80;
  const max = Math.max(...data, 0);
  const top = max || 1;
  const x = (i) => (i / (data.length - 1)) * w;
  const y = (v) => ht - 4 - (v / top) * (ht - 12);
  const pts = data.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const latest = data[data.length - 1];
  const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  const desc = `${label} over the last 5 minutes: latest ${fmt(latest)}, peak ${fmt(max)}.`;
  const svg = s('svg', {viewBox: `0 0 ${w} ${ht}`, class: `spark spark-${cls}`, role: 'img', 'aria-label': desc, preserveAspectRatio: 'none'},
    s('title', null, desc),
    s('line', {x1: 0, x2: w, y1: ht - 4, y2: ht - 4, class: 'axis'}),
    s('polygon', {points: `0,${ht - 4} ${pts} ${w},${ht - 4}`, class: 'area'}),
    s('polyline', {points: pts, class: 'line'}));
  return h('figure', {class: 'spark-fig'},
    h('figcaption', null, h('span', {class: 'spark-label'}, label), h('span', {class: 'spark-value'}, fmt(latest)), h('span', {class: 'muted small'}, `peak ${fmt(max)} · ${note}`)),
    svg,
    h('div', {class: 'spark-axis muted small', 'aria-hidden': 'true'}, h('span', null, '−5 min'), h('span', null, 'now')));
}

function nodesTable() {
  const st = node.status;
  if (!st) return h('p', {class: 'muted'}, 'No status from the node yet.');
  const top = Math.max(head().height, ...node.peers.map((p) => p.height));
  const row = (id, role, height, healthText, healthCls, api, self) =>
    h('tr', {'data-node': id},
      h('th', {scope: 'row'}, id, self ? h('span', {class: 'tag'}, 'this node') : null, id === st.leader ? h('span', {class: 'tag tag-leader'}, 'leader') : null),
      h('td', {class: 'role'}, role || '—'),
      h('td', {class: 'num'}, String(height)),
      h('td', {class: 'health'}, h('span', {class: `dot dot-${healthCls}`, 'aria-hidden': 'true'}), healthText),
      h('td', null, api ? h('code', null, api) : '—'));
  const rows = [row(st.node_id, st.role, head().height, health.ready ? 'ready' : 'not ready', health.ready ? 'ok' : 'bad', location.host, true)];
  const peers = [...node.peers].sort((a, b) => (a.role === b.role ? a.id.localeCompare(b.id) : a.role === 'validator' ? -1 : 1));
  for (const p of peers) {
    const lag = top - p.height;
    let text = 'in sync';
    let cls = 'ok';
    if (!p.alive) [text, cls] = ['down', 'bad'];
    else if (lag > 10) [text, cls] = [`behind by ${lag}`, 'warn'];
    rows.push(row(p.id, p.role, p.height, text, cls, p.api_addr, false));
  }
  const validators = [st, ...node.peers].filter((p) => p.role === 'validator').length;
  const observers = [st, ...node.peers].filter((p) => p.role === 'observer').length;
  return table(`${plural(validators, 'validator')}, ${plural(observers, 'observer')}; heights of peers are from gossip and may trail by a block or two.`,
    ['Node', 'Role', 'Height', 'Health', 'API'], rows, {id: 'nodes-table'});
}

function blocksTable(blocks, id) {
  if (!blocks.length) return h('p', {class: 'muted', id}, 'No blocks yet.');
  return table(null, ['Height', 'Time', 'Txs', 'Proposer', 'Hash'], blocks.map(blockRow), {id});
}

function blockRow(b) {
  const refused = (b.results || []).filter((c) => c !== 'ok').length;
  return h('tr', {'data-height': b.height},
    h('th', {scope: 'row'}, blockLink(b.height)),
    h('td', null, timeEl(b.time)),
    h('td', {class: 'num'}, String(b.tx_ids.length), refused ? h('span', {class: 'code code-bad small'}, `${refused} refused`) : null),
    h('td', null, b.proposer),
    h('td', null, hash(b.hash)));
}

// ---- blocks ----------------------------------------------------------------

async function blocksPage(main, ctx) {
  title(main, 'Blocks', 'The latest blocks first; the list follows new blocks as they commit.');
  const tbody = h('tbody');
  const wrap = h('div', {class: 'table-wrap'}, h('table', {id: 'blocks'},
    h('caption', {class: 'sr-only'}, 'Blocks, newest first'),
    h('thead', null, h('tr', null, ['Height', 'Time', 'Txs', 'Proposer', 'Hash'].map((x) => h('th', {scope: 'col'}, x)))),
    tbody));
  const more = h('button', {type: 'button', class: 'secondary', id: 'older'}, 'Show older blocks');
  main.append(wrap, h('p', null, more));
  let top = 0;
  let bottom = 0;
  const loadDown = async (from, n) => {
    const hs = [];
    for (let x = from; x >= 1 && hs.length < n; x--) hs.push(x);
    const got = new Array(hs.length);
    await pool(hs, 6, async (x, i) => {
      got[i] = await ctx.api(`/v1/blocks/${x}`).catch(() => null);
    });
    for (const b of got) if (b && ctx.alive) tbody.append(blockRow(b));
    bottom = hs.length ? hs[hs.length - 1] : bottom;
    more.hidden = bottom <= 1;
  };
  let latest;
  try {
    latest = await ctx.api('/v1/blocks/latest');
  } catch (err) {
    if (err instanceof APIError && err.status === 404) {
      wrap.replaceWith(h('p', {class: 'muted'}, 'No blocks yet: the chain is at its genesis.'));
      more.hidden = true;
    } else throw err;
  }
  if (latest) {
    top = latest.height;
    tbody.append(blockRow(latest));
    bottom = top;
    await loadDown(top - 1, 24);
  }
  more.addEventListener('click', () => loadDown(bottom - 1, 25));
  ctx.on((ev) => {
    if (ev.type !== 'block' || ev.height <= top) return;
    if (!top) {
      go('#/blocks');
      return;
    }
    top = ev.height;
    const row = blockRow(ev.block);
    row.classList.add('fresh');
    tbody.prepend(row);
  });
}

async function blockPage(main, ctx, hs) {
  const height = Number(hs);
  let b;
  try {
    b = await ctx.api(`/v1/blocks/${height}`);
  } catch (err) {
    if (err instanceof APIError && err.status === 404) {
      title(main, `Block ${height}`, height === 0 ? 'Height 0 is the genesis: it has no block.' : `No block at height ${height} yet (the head is at ${head().height}). This page opens it when it commits.`);
      ctx.on((ev) => {
        if (ev.type === 'block' && ev.height >= height) route();
      });
      return;
    }
    throw err;
  }
  title(main, `Block ${b.height}`);
  const refused = (b.results || []).filter((c) => c !== 'ok').length;
  main.append(h('nav', {class: 'pager', 'aria-label': 'Neighbouring blocks'},
    b.height > 1 ? link(`#/block/${b.height - 1}`, `← Block ${b.height - 1}`) : h('span'),
    link(`#/block/${b.height + 1}`, `Block ${b.height + 1} →`)));
  main.append(section('Header', 'header', dl([
    ['Hash', fullHash(b.hash, 'block-hash')],
    ['Previous hash', b.height > 1 ? h('a', {href: `#/block/${b.height - 1}`, class: 'hash full'}, b.prev_hash) : fullHash(b.prev_hash)],
    ['Time', h('span', null, timeEl(b.time), ' ', h('span', {class: 'muted'}, `(${ago(b.time)})`))],
    ['Proposer', b.proposer, 'block-proposer'],
    ['Tx root', fullHash(b.tx_root, 'tx-root')],
    ['Transactions', refused ? `${b.tx_ids.length} (${refused} refused in the block)` : String(b.tx_ids.length), 'block-txs'],
  ])));
  const rows = b.tx_ids.map((id, i) => {
    const code = (b.results || [])[i];
    // A transaction refused in a block is not indexed by id: its page
    // needs the block.
    const href = code && code !== 'ok' ? `#/tx/${id}/block/${b.height}` : `#/tx/${id}`;
    return h('tr', {'data-id': id, 'data-code': code || ''},
      h('td', {class: 'num'}, String(i)),
      h('td', null, h('a', {href, class: 'hash', title: id}, short(id, 16))),
      h('td', {class: 'kind'}, '…'),
      h('td', {class: 'group'}, ''),
      h('td', {class: 'topic'}, ''),
      h('td', {class: 'result'}, codeBadge(code)),
      h('td', {class: 'audit'}));
  });
  const DETAILS = 200;
  main.append(section('Transactions', 'txs',
    b.tx_ids.length
      ? table(b.tx_ids.length > DETAILS ? `Details of the first ${DETAILS} of ${b.tx_ids.length}; open a transaction for the rest.` : null,
        ['#', 'Transaction', 'Kind', 'Group · epoch', 'Topic', 'Code', h('span', {class: 'sr-only'}, 'Actions')], rows, {id: 'txs'})
      : h('p', {class: 'muted'}, 'This block holds no transaction.'),
    h('p', {class: 'muted small'}, 'The code is the validation outcome the block records for each transaction: ok took effect; any other code was refused in the block and changed nothing.')));
  await pool(rows.slice(0, DETAILS), 6, async (row) => {
    const id = row.dataset.id;
    let tx;
    try {
      tx = await ctx.api(`/v1/txs/${id}`);
    } catch (err) {
      const refused = err instanceof APIError && err.status === 404 && row.dataset.code && row.dataset.code !== 'ok';
      $('.kind', row).replaceChildren(refused ? h('span', {class: 'muted', title: 'The API indexes only the transactions that took effect.'}, 'not indexed') : '?');
      return;
    }
    fillTxRow(row, tx);
  });
}

function fillTxRow(row, tx) {
  $('.kind', row).textContent = tx.kind;
  $('.group', row).replaceChildren(tx.group ? h('span', null, link(`#/group/${enc(tx.group)}`, tx.group), ` · ${tx.epoch}`) : '');
  $('.topic', row).replaceChildren(tx.topic ? link(`#/topic/${enc(tx.topic)}`, tx.topic) : '', tx.tagged ? h('span', {class: 'tag', title: `tag ${tx.tag}`}, 'tagged') : '');
  if (tx.kind === 'anonymous') {
    row.dataset.tx = tx.id;
    $('.audit', row).replaceChildren(h('span', {class: 'audit-open', 'data-tx': tx.id}));
  }
}

// ---- transaction -----------------------------------------------------------

function b64bytes(b64) {
  if (!b64) return new Uint8Array(0);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const toHex = (bytes) => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');

// asText returns the payload as text if it is UTF-8 without control
// characters (but newlines and tabs), else null.
function asText(bytes) {
  try {
    const t = new TextDecoder('utf-8', {fatal: true}).decode(bytes);
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(t) ? null : t;
  } catch {
    return null;
  }
}

const PREVIEW = 4096;

function payloadView(b64) {
  const bytes = b64bytes(b64);
  if (!bytes.length) return h('p', {class: 'muted', id: 'payload-empty'}, 'No payload.');
  const cut = bytes.subarray(0, PREVIEW);
  const full = asText(bytes);
  const text = full === null ? null : full.slice(0, PREVIEW);
  const hexStr = toHex(cut).replace(/(.{64})/g, '$1\n').trim();
  const pre = h('pre', {id: 'payload', class: 'payload', tabindex: '0', 'data-format': text !== null ? 'text' : 'hex'}, text !== null ? text : hexStr);
  const note = h('p', {class: 'muted small'}, `${plural(bytes.length, 'byte')}`, bytes.length > PREVIEW ? `; the first ${PREVIEW} shown` : '', text !== null ? ', shown as UTF-8 text' : ', shown as hex (not text)');
  const kids = [note, pre];
  if (text !== null) {
    const btn = h('button', {type: 'button', class: 'secondary small', 'aria-controls': 'payload'}, 'Show as hex');
    btn.addEventListener('click', () => {
      const hexNow = pre.dataset.format === 'text';
      pre.dataset.format = hexNow ? 'hex' : 'text';
      pre.textContent = hexNow ? hexStr : text;
      btn.textContent = hexNow ? 'Show as text' : 'Show as hex';
    });
    kids.unshift(h('p', null, btn));
  }
  return h('div', null, kids);
}

async function txPage(main, ctx, rawID, inBlock) {
  const id = rawID.toLowerCase();
  let tx;
  try {
    tx = await ctx.api(`/v1/txs/${id}`);
  } catch (err) {
    if (err instanceof APIError && err.status === 404) {
      if (inBlock && (await refusedTx(main, ctx, id, Number(inBlock)))) return;
      title(main, 'Transaction', 'No committed or pending transaction has this id on this node. (A transaction refused in a block is not indexed by id: open it from its block.)');
      main.append(h('p', null, fullHash(id)));
      return;
    }
    throw err;
  }
  title(main, tx.kind === 'anonymous' ? 'Anonymous transaction' : `Transaction: ${tx.kind.replace(/_/g, ' ')}`);
  const anon = tx.kind === 'anonymous';
  const art = h('article', {class: 'tx', id: 'tx', 'data-id': tx.id, 'data-tx': anon ? tx.id : null});
  main.append(art);
  let code = null;
  if (tx.status === 'committed' && tx.height != null) {
    try {
      const b = await ctx.api(`/v1/blocks/${tx.height}`);
      code = (b.results || [])[tx.index ?? 0] || null;
    } catch {
      code = null;
    }
  }
  const statusCell = tx.status === 'committed'
    ? h('span', null, 'committed in block ', blockLink(tx.height), ` at index ${tx.index ?? 0}`)
    : h('span', null, 'pending in the mempool');
  const rows = [
    ['Id', fullHash(tx.id, 'tx-id')],
    ['Kind', tx.kind, 'tx-kind'],
    ['Status', statusCell, 'tx-status'],
    tx.status === 'committed' ? ['Validation code', codeBadge(code), 'tx-code'] : null,
    tx.group ? ['Group', link(`#/group/${enc(tx.group)}`, tx.group), 'tx-group'] : null,
    tx.group ? ['Epoch', String(tx.epoch), 'tx-epoch'] : null,
    tx.topic ? ['Topic', link(`#/topic/${enc(tx.topic)}`, tx.topic), 'tx-topic'] : null,
    anon ? ['Tag', tx.tagged ? fullHash(tx.tag, 'tx-tag') : h('span', {class: 'muted'}, 'untagged'), 'tx-tagged'] : null,
    tx.node ? ['Node', tx.node] : null,
    tx.rule ? ['Rule', ruleText(tx.rule)] : null,
    tx.cref ? ['Committee', hash(tx.cref, 16)] : null,
    tx.authority ? ['Authority', String(tx.authority)] : null,
    tx.subject ? ['About', txLink(tx.subject, 24)] : null,
    tx.revocation ? ['Revocation record', plural(tx.revocation.length / 2, 'byte')] : null,
    tx.join_request ? ['Join request', plural(tx.join_request.length / 2, 'byte')] : null,
    tx.join_response ? ['Join response', plural(tx.join_response.length / 2, 'byte')] : null,
    ['Expiry', `height ${tx.expiry}`],
    ['Nonce', hash(tx.nonce, 16)],
    ['Size', plural(tx.size, 'byte')],
    ['Chain', tx.chain_id],
  ];
  art.append(section('Transaction', 'tx-facts', dl(rows)));
  if (anon) {
    art.append(h('p', {class: 'audit-slot'}, h('span', {class: 'audit-open', 'data-tx': tx.id})));
    art.append(section('Payload', 'payload', payloadView(tx.payload)));
    art.append(await openingsSection(ctx, tx));
  } else if (tx.payload) {
    art.append(section('Payload', 'payload', payloadView(tx.payload)));
  }
  art.append(h('details', {class: 'raw'}, h('summary', null, 'Raw encoding (hex)'), h('pre', {class: 'payload'}, tx.raw)));
  if (tx.status !== 'committed') {
    ctx.on((ev) => {
      if (ev.type === 'tx' && ev.tx && ev.tx.id === id) route();
      if (ev.type === 'block' && ev.block.tx_ids.includes(id)) route();
    });
  }
}

// refusedTx shows a transaction that a block holds but refused: the API
// indexes only the transactions that took effect, so what is known of it
// is its block, its place and its code.
async function refusedTx(main, ctx, id, height) {
  const b = await ctx.api(`/v1/blocks/${height}`).catch(() => null);
  const i = b ? b.tx_ids.indexOf(id) : -1;
  if (i < 0) return false;
  const code = (b.results || [])[i];
  title(main, 'Transaction refused in a block', 'The block holds it, but it took no effect; the API indexes only the transactions that did, so its content is not served.');
  main.append(h('article', {class: 'tx', id: 'tx', 'data-id': id}, section('Transaction', 'tx-facts', dl([
    ['Id', fullHash(id, 'tx-id')],
    ['Status', h('span', null, 'in block ', blockLink(height), ` at index ${i}`), 'tx-status'],
    ['Validation code', codeBadge(code), 'tx-code'],
  ]))));
  return true;
}

async function openingsSection(ctx, tx) {
  const sec = section('Openings', 'openings');
  sec.id = 'openings';
  if (tx.status !== 'committed') {
    sec.append(h('p', {class: 'muted'}, 'Openings are recorded for committed transactions.'));
    return sec;
  }
  let op;
  try {
    op = await ctx.api(`/v1/txs/${tx.id}/openings`);
  } catch (err) {
    if (err instanceof APIError && err.status === 404) {
      sec.append(h('p', {class: 'muted', 'data-openings': 'none'}, 'No opening is recorded for this transaction.'));
      return sec;
    }
    throw err;
  }
  if (op.opening) {
    const o = op.opening;
    sec.append(h('p', {class: 'opened', 'data-openings': 'opened'},
      h('strong', null, 'Opened: '), `the threshold opening names ${o.label ? `member ${o.label}` : 'a key no member on the ledger holds'}`,
      ` (epoch ${o.epoch}), completed at block `, blockLink(o.height), ' by ', txLink(o.tx), '. A completed opening on the ledger is public.'));
  } else {
    sec.append(h('p', {'data-openings': op.rounds.length ? 'partial' : 'none'}, op.rounds.length ? 'Not opened: fewer partial openings than the threshold.' : 'No consent or partial opening is recorded for this transaction.'));
  }
  if (op.rounds.length) {
    const names = (acts) => acts.length ? acts.map((a) => `${a.label} (#${a.authority})`).join(', ') : '—';
    sec.append(table('By committee', ['Committee', 'Status', 'Threshold', 'Consents', 'Partial openings'], op.rounds.map((r) => h('tr', null,
      h('td', null, hash(r.cref, 16)), h('td', null, r.status), h('td', {class: 'num'}, String(r.t)),
      h('td', null, names(r.consents)), h('td', null, names(r.partials))))));
  }
  return sec;
}

function ruleText(rule) {
  const groups = rule.groups && rule.groups.length ? `groups ${rule.groups.join(', ')}` : 'every group';
  return `${groups}; ${rule.tagged ? 'tagged (one action per member)' : 'untagged'}; ${rule.closes ? `closes at height ${rule.closes}` : 'never closes'}`;
}

// ---- groups ----------------------------------------------------------------

async function groupNames(ctx) {
  const g = await ctx.api('/v1/groups');
  node.groups = g.groups || [];
  return node.groups;
}

async function groupsPage(main, ctx) {
  title(main, 'Groups', 'Each group signs anonymously under its own key; members are named by label only in the register, never in their transactions.');
  const names = await groupNames(ctx);
  if (!names.length) {
    main.append(h('p', {class: 'muted'}, 'No group on this chain.'));
    return;
  }
  const rows = names.map((n) => h('tr', {'data-group': n},
    h('th', {scope: 'row'}, link(`#/group/${enc(n)}`, n)),
    h('td', {class: 'num epoch'}, '…'), h('td', {class: 'num active'}, ''), h('td', {class: 'num revoked'}, ''), h('td', {class: 'num pending'}, '')));
  main.append(table(null, ['Group', 'Epoch', 'Active members', 'Revoked', 'Pending joins'], rows, {id: 'groups'}));
  await pool(rows, 4, async (row) => {
    const g = await ctx.api(`/v1/groups/${enc(row.dataset.group)}`).catch(() => null);
    if (!g) return;
    $('.epoch', row).textContent = String(g.epoch);
    $('.active', row).textContent = String(g.members.filter((m) => m.state === 'active').length);
    $('.revoked', row).textContent = String(g.members.filter((m) => m.state === 'revoked').length);
    $('.pending', row).textContent = String(g.pending.length);
  });
}

async function sha256(hex) {
  if (!globalThis.crypto || !crypto.subtle) return null; // not a secure context
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(2 * i, 2), 16);
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

async function groupPage(main, ctx, name) {
  title(main, `Group ${name}`);
  const body = h('div');
  main.append(body);
  const load = async () => {
    const [g, revs, com] = await Promise.all([
      ctx.api(`/v1/groups/${enc(name)}`),
      ctx.api(`/v1/groups/${enc(name)}/revocations`),
      ctx.api(`/v1/groups/${enc(name)}/committee`).catch(() => null),
    ]);
    const hashes = await Promise.all(revs.records.map(sha256));
    if (!ctx.alive) return;
    body.replaceChildren(...groupView(g, revs.records, hashes, com));
  };
  try {
    await load();
  } catch (err) {
    if (err instanceof APIError && err.status === 404) {
      main.append(h('p', null, `No group named “${name}” on this chain. `, link('#/groups', 'All groups')));
      return;
    }
    throw err;
  }
  const reload = later(ctx, 500, () => load().catch(() => {}));
  ctx.on((ev) => {
    if (ev.type === 'tx' && ev.tx && ev.tx.group === name) reload();
  });
}

function groupView(g, records, hashes, com) {
  const active = g.members.filter((m) => m.state === 'active').length;
  const revoked = g.members.length - active;
  const out = [];
  out.push(section('Summary', 'summary', dl([
    ['Current epoch', String(g.epoch), 'group-epoch'],
    ['Members', `${active} active, ${revoked} revoked`, 'group-members'],
    ['Pending join requests', String(g.pending.length)],
    ['Revocation records', String(records.length)],
    ['Issuer admin key', hash(g.admin_key, 16)],
    ['Group key', `${plural(g.group_key.length / 2, 'byte')} (epoch ${g.key_epoch})`],
  ])));
  const members = [...g.members].sort((a, b) => a.label.localeCompare(b.label));
  out.push(section('Members', 'members-sec', members.length
    ? table('By label. A revoked member keeps its place in the register; its old signatures still verify under their epoch.',
      ['Label', 'Organisation', 'State', 'Joined epoch', 'Join height', 'Revoked at epoch'],
      members.map((m) => h('tr', {'data-label': m.label, 'data-state': m.state},
        h('th', {scope: 'row'}, m.label), h('td', null, m.org), h('td', {class: 'state-cell'}, stateBadge(m.state)),
        h('td', {class: 'num'}, String(m.joined_epoch)), h('td', {class: 'num'}, m.height ? blockLink(m.height) : 'genesis'),
        h('td', {class: 'num'}, m.revoked_epoch ? String(m.revoked_epoch) : '—'))), {id: 'members'})
    : h('p', {class: 'muted'}, 'No member yet.')));
  const epochRows = [h('tr', {'data-epoch': 0}, h('th', {scope: 'row'}, '0'), h('td', {colspan: 3}, 'the founding key (genesis or add_group)'), h('td', null, '—'))];
  records.forEach((rec, i) => {
    const e = i + 1;
    const labels = g.members.filter((m) => m.revoked_epoch === e).map((m) => m.label).sort();
    epochRows.push(h('tr', {'data-epoch': e},
      h('th', {scope: 'row'}, String(e)),
      h('td', {class: 'num'}, plural(rec.length / 2, 'byte')),
      h('td', null, hashes[i] ? hash(hashes[i], 16) : h('span', {class: 'muted', title: 'SHA-256 needs a secure context (https or localhost)'}, 'n/a')),
      h('td', {class: 'num'}, String(labels.length)),
      h('td', null, labels.length ? labels.join(', ') : '—')));
  });
  out.push(section('Epochs', 'epochs-sec', table(`${plural(records.length, 'revocation record')}: record i moves the group to epoch i. Hash: SHA-256 of the record.`,
    ['Epoch', 'Record size', 'Record hash', 'Revoked', 'Labels revoked'], epochRows, {id: 'epochs'})));
  out.push(section('Pending join requests', 'pending-sec', g.pending.length
    ? table('Posted on chain, not yet answered by the issuer.', ['Label', 'Organisation', 'Posted at', 'Request hash'],
      g.pending.map((p) => h('tr', {'data-label': p.label},
        h('th', {scope: 'row'}, p.label), h('td', null, p.org), h('td', {class: 'num'}, blockLink(p.height)), h('td', null, hash(p.hash, 16)))), {id: 'pending'})
    : h('p', {class: 'muted', id: 'pending'}, 'No join request waits for an answer.')));
  out.push(committeeSection(com));
  return out;
}

function committeeSection(com) {
  const sec = section('Opening committee', 'committee-sec');
  sec.id = 'committee';
  if (!com || (!com.active && !com.pending)) {
    sec.append(h('p', {class: 'muted'}, 'No committee is active: the group’s opener key is single.'));
  }
  for (const [what, c] of [['Active', com && com.active], ['Pending', com && com.pending]]) {
    if (!c) continue;
    sec.append(h('h3', null, `${what} committee`), dl([
      ['Reference', hash(c.cref, 16)],
      ['Threshold', `${c.t} of ${c.n}`],
      ['Status', c.status],
      ['Authorised by', c.authorization === 'admin' ? 'the group admin' : `approvals of authorities ${(c.approvers || []).join(', ')}`],
      ['Posted at', blockLink(c.height)],
      c.activated ? ['Activated at', blockLink(c.activated)] : ['Share proofs', `${c.share_proofs} of ${c.n}`],
    ]), table(null, ['#', 'Authority', 'Organisation', 'Share proof'], c.authorities.map((a) => h('tr', null,
      h('td', {class: 'num'}, String(a.index)), h('th', {scope: 'row'}, a.label), h('td', null, a.org),
      h('td', null, a.share_proof_height ? blockLink(a.share_proof_height) : 'not yet')))));
  }
  if (com && com.history.length) {
    sec.append(h('h3', null, 'Earlier committees'), table(null, ['Reference', 'Status', 'Threshold', 'Posted', 'Ended'], com.history.map((c) => h('tr', null,
      h('td', null, hash(c.cref, 16)), h('td', null, c.reason ? `${c.status} (${c.reason})` : c.status), h('td', null, `${c.t} of ${c.n}`),
      h('td', {class: 'num'}, blockLink(c.height)), h('td', {class: 'num'}, c.ended ? blockLink(c.ended) : '—')))));
  }
  return sec;
}

// ---- topics ----------------------------------------------------------------

function topicForm(value) {
  const form = h('form', {class: 'inline-form', id: 'topic-form'},
    h('label', {for: 'topic-q'}, 'Topic name'),
    h('input', {id: 'topic-q', name: 'topic', type: 'text', maxlength: '64', required: true, autocomplete: 'off', spellcheck: 'false', value: value || ''}),
    h('button', {type: 'submit'}, 'Show topic'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('#topic-q').value.trim();
    if (t) location.hash = `#/topic/${enc(t)}`;
  });
  return form;
}

async function topicsPage(main, ctx) {
  title(main, 'Topics', 'The API has no list of topics: look one up by name. A topic has a rule only if the consortium admin set one.');
  main.append(topicForm());
  const seen = h('div', {id: 'seen-topics'});
  main.append(section('Seen in recent blocks', 'seen', seen));
  const draw = () => {
    const items = [...live.topics.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    seen.replaceChildren(items.length
      ? h('ul', {class: 'chips'}, items.map(([t, n]) => h('li', null, link(`#/topic/${enc(t)}`, t), h('span', {class: 'muted small'}, ` ${n}`))))
      : h('p', {class: 'muted'}, `No transaction with a topic in the last ${Math.min(200, live.last)} blocks.`));
  };
  draw();
  const drawSoon = later(ctx, 500, draw);
  ctx.on((ev) => {
    if (ev.type === 'tx') drawSoon();
  });
}

async function topicPage(main, ctx, topic) {
  title(main, `Topic ${topic}`);
  main.append(topicForm(topic));
  const body = h('div');
  main.append(body);
  const load = async () => {
    const [t, page] = await Promise.all([ctx.api(`/v1/topics/${enc(topic)}`), ctx.api(`/v1/topics/${enc(topic)}/txs?limit=100`)]);
    if (!ctx.alive) return;
    body.replaceChildren(...topicView(t, page));
  };
  await load();
  const reload = later(ctx, 300, () => load().catch(() => {}));
  ctx.on((ev) => {
    if (ev.type === 'tx' && ev.tx && ev.tx.topic === topic) reload();
  });
}

function topicView(t, page) {
  const r = t.rule;
  const out = [];
  const closes = r && r.closes ? h('span', null, 'height ', blockLink(r.closes), t.open ? ' (open)' : ' (closed)') : 'never';
  out.push(section('Rule', 'rule', r
    ? dl([
      ['Groups allowed', r.groups.length ? h('span', null, r.groups.map((g, i) => [i ? ', ' : '', link(`#/group/${enc(g)}`, g)])) : 'every group', 'rule-groups'],
      ['Tag required', r.tagged ? 'yes: one action per member' : 'no', 'rule-tagged'],
      ['Closing height', closes, 'rule-closes'],
      ['Set at', blockLink(t.height)],
      ['Tag scope', h('code', null, t.scope)],
    ])
    : h('p', {id: 'rule-none'}, 'No rule: the topic is open to every group, untagged, and never closes.')));
  if (r && r.tagged) {
    out.push(section('Tally', 'tally-sec',
      h('p', {class: 'tally'}, h('span', {id: 'tally', class: 'big'}, String(t.tally)), ' ', t.tally === 1 ? 'distinct member acted' : 'distinct members acted'),
      h('p', {class: 'muted small'}, 'Distinct tags: each member acts at most once on a tagged topic, whatever its epoch, and stays anonymous. The tally follows new blocks.')));
  }
  const ids = page.ids || [];
  out.push(section('Transactions', 'topic-txs', ids.length
    ? h('ol', {class: 'ids', id: 'topic-tx-list'}, ids.map((id) => h('li', {'data-tx': id}, txLink(id, 24), ' ', h('span', {class: 'audit-open', 'data-tx': id}))))
    : h('p', {class: 'muted', id: 'topic-tx-list'}, 'No transaction on this topic yet.'),
  ids.length >= 100 ? h('p', {class: 'muted small'}, 'The first 100 shown.') : null));
  return out;
}

// ---- search ----------------------------------------------------------------

const SCAN_BLOCKS = 1000;

async function searchPage(main, ctx, q) {
  q = q.trim();
  title(main, 'Search');
  const out = h('p', {id: 'search-result', role: 'status'});
  main.append(out);
  if (!q) {
    out.textContent = 'Type a block height, a block hash or a transaction id (64 hex characters), or a group or topic name.';
    return;
  }
  if (/^\d+$/.test(q)) return go(`#/block/${Number(q)}`);
  const hex = q.replace(/^0x/i, '').toLowerCase();
  if (/^[0-9a-f]{64}$/.test(hex)) {
    out.textContent = 'Looking for a transaction with this id…';
    try {
      await ctx.api(`/v1/txs/${hex}`);
      return go(`#/tx/${hex}`);
    } catch (err) {
      if (!(err instanceof APIError) || err.status !== 404) throw err;
    }
    const cached = live.blocks.find((b) => b.hash === hex || b.tx_ids.includes(hex));
    if (cached) return go(cached.hash === hex ? `#/block/${cached.height}` : `#/tx/${hex}/block/${cached.height}`);
    // The API finds blocks by height only: walk back from the head.
    const top = head().height;
    const low = Math.max(1, top - SCAN_BLOCKS + 1);
    let found = 0;
    let holds = 0; // a block that holds a refused transaction with this id
    const hs = [];
    for (let x = top; x >= low; x--) if (!live.blocks.some((b) => b.height === x)) hs.push(x);
    out.textContent = `No transaction has this id. Looking for a block with this hash among the latest ${top - low + 1} blocks…`;
    await pool(hs, 8, async (x) => {
      if (found || holds || !ctx.alive) return;
      const b = await ctx.api(`/v1/blocks/${x}`).catch(() => null);
      if (b && b.hash === hex) found = x;
      if (b && b.tx_ids.includes(hex)) holds = x;
    });
    if (found) return go(`#/block/${found}`);
    if (holds) return go(`#/tx/${hex}/block/${holds}`);
    out.textContent = `No transaction has this id, and no block among the latest ${top - low + 1} has this hash. The API looks blocks up by height only, so a hash is searched in recent blocks; search an older block by its height.`;
    return;
  }
  const names = node.groups || (await groupNames(ctx).catch(() => []));
  if (names.includes(q)) return go(`#/group/${enc(q)}`);
  if (new TextEncoder().encode(q).length <= 64) return go(`#/topic/${enc(q)}`);
  out.textContent = 'Not a height, a 64-hex id or hash, a group or a topic name (topics are at most 64 bytes).';
}

// ---- start -----------------------------------------------------------------

// auditHook shows the Audit link when the server is the audit workspace:
// it answers GET /audit/info with JSON; a node answers 404.
async function auditHook() {
  try {
    const res = await fetch('/audit/info', {cache: 'no-store', headers: {Accept: 'application/json'}});
    if (!res.ok || !(res.headers.get('content-type') || '').includes('json')) return;
    const info = await res.json();
    $('#nav-audit').hidden = false;
    document.documentElement.dataset.audit = 'on';
    await import('./audit.js'); // fills the .audit-open spots of anonymous transactions
    document.dispatchEvent(new CustomEvent('veil:audit', {detail: info}));
  } catch {
    // not the audit workspace
  }
}

function start() {
  $('#search').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('#q').value.trim();
    location.hash = `#/search/${enc(q)}`;
  });
  $('#skip').addEventListener('click', (e) => {
    e.preventDefault();
    $('#main').focus();
  });
  window.addEventListener('hashchange', route);
  auditHook();
  poll().finally(() => {
    route();
    setInterval(poll, 3000);
  });
}

start();
