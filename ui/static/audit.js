// veil audit workspace: the page of `veil audit console` (audit.html). It
// asks the console, never the node, to open a transaction (POST
// /audit/open: the opening runs in the console's process with the opener
// key, which no response carries) and to check evidence (POST
// /audit/check), and shows the regulator's log (GET /audit/log). It reads
// the chain through the console's read-only proxy of /v1. Plain ES module,
// no build step, no dependency; text is always set as text, never parsed
// as HTML.
//
// Loaded on a console page other than audit.html, it only puts an "Open"
// link in each empty .audit-open[data-tx] placeholder (it prefills the
// workspace; opening stays a click there: a link from another site must
// not open anything by itself).

const $ = (sel, root = document) => root.querySelector(sel);

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

const short = (hex, n = 12) => (hex && hex.length > n + 2 ? hex.slice(0, n) + '…' : hex || '');
const fullHash = (hex, id) => h('code', {class: 'hash full', id}, hex || '—');
const txLink = (id, n = 16) => h('a', {href: `./#/tx/${id}`, class: 'hash', title: id}, short(id, n));
const enc = encodeURIComponent;
const pad = (n) => String(n).padStart(2, '0');
function fmtTime(iso) {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '—';
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
}
const timeEl = (iso) => h('time', {datetime: iso, title: iso}, fmtTime(iso));

function dl(rows) {
  const d = h('dl', {class: 'facts'});
  for (const row of rows) {
    if (!row) continue;
    const [term, value, id] = row;
    d.append(h('div', null, h('dt', null, term), h('dd', id ? {id} : null, value ?? '—')));
  }
  return d;
}

// table is a table in a box that scrolls sideways when it must; the box
// takes the keyboard focus so that it scrolls without a mouse.
function table(caption, heads, rows, attrs, label) {
  return h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label || caption || 'table'}, h('table', attrs,
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, heads.map((x) => h('th', {scope: 'col'}, x)))),
    h('tbody', null, rows)));
}

// ---- talking to the console ------------------------------------------------

class ConsoleError extends Error {
  constructor(status, code, message, condition) {
    super(message);
    this.status = status;
    this.code = code;
    this.condition = condition;
  }
}

async function call(method, path, body) {
  const opts = {method, cache: 'no-store', headers: {Accept: 'application/json'}};
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch {
    throw new ConsoleError(0, 'unreachable', 'The console does not answer: is veil audit console still running?');
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ConsoleError(res.status, e.code || `http_${res.status}`, e.message || res.statusText, e.condition);
  }
  return data;
}

function errorBox(err, what) {
  const code = err.code ? h('code', null, err.code) : null;
  return h('div', {class: 'error', role: 'alert', 'data-code': err.code || ''},
    h('strong', null, what), ' ', code, err.condition ? ` (condition ${err.condition})` : '', h('br'), err.message);
}

// ---- banner ------------------------------------------------------------------

function banner(state, title, msg) {
  const b = $('#banner');
  b.hidden = !state;
  b.dataset.state = state || '';
  b.replaceChildren(...(state ? [h('strong', null, title), ' ', msg] : []));
}

async function checkNode() {
  try {
    const res = await fetch('/readyz', {cache: 'no-store'});
    if (res.ok) banner('', '', '');
    else if (res.status >= 502) banner('down', 'Cannot reach the node.', 'The console does not get an answer from it; openings and the transaction list wait for it. Evidence checks work without it.');
    else banner('not-ready', 'The node is not ready.', 'What it shows may be stale.');
  } catch {
    banner('down', 'Cannot reach the console.', 'Is veil audit console still running?');
  }
}

// ---- tabs --------------------------------------------------------------------

const TABS = ['open', 'check', 'log'];

function showTab() {
  let name = (location.hash || '#open').slice(1).split('=')[0];
  if (!TABS.includes(name)) name = 'open';
  for (const t of TABS) {
    $(`#tab-${t}`).hidden = t !== name;
    const a = $(`.tabs a[data-tab="${t}"]`);
    if (t === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (name === 'log') loadLog();
  const m = /^#open=([0-9a-fA-F]{64})$/.exec(location.hash);
  if (m) {
    // Prefilled from a link: opening stays the user's click.
    $('#tx-id').value = m[1].toLowerCase();
    $('#tx-id').focus();
  }
}

// ---- open --------------------------------------------------------------------

let info = null;

async function openTx(id) {
  const out = $('#open-result');
  const err = $('#tx-id-err');
  id = id.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(id)) {
    err.textContent = 'A transaction id is 64 hex digits.';
    $('#tx-id').setAttribute('aria-invalid', 'true');
    $('#tx-id').focus();
    return;
  }
  err.textContent = '';
  $('#tx-id').removeAttribute('aria-invalid');
  $('#tx-id').value = id;
  const btn = $('#open-btn');
  btn.disabled = true;
  out.replaceChildren(h('p', {class: 'muted'}, `Opening ${short(id, 16)} …`));
  try {
    const r = await call('POST', '/audit/open', {tx: id});
    out.replaceChildren(openedView(r));
    $('#opened-h').focus();
    loadLog();
  } catch (e) {
    out.replaceChildren(errorBox(e, 'Not opened:'));
  } finally {
    btn.disabled = false;
  }
}

function authoritiesTable(list, caption) {
  return table(caption, ['#', 'Authority', 'Organisation', 'Identity key'], list.map((a) => h('tr', null,
    h('td', {class: 'num'}, String(a.index)), h('td', null, a.label), h('td', null, a.org || '—'),
    h('td', null, a.identity_key ? h('code', {class: 'hash', title: a.identity_key}, short(a.identity_key, 16)) : '—'))));
}

function openedView(r) {
  // The file offered for download: the bundle as `veil audit open --out`
  // writes it (two-space JSON and a newline), whose SHA-256 the log holds.
  const text = JSON.stringify(r.evidence, null, 2) + '\n';
  const sum = h('span', {id: 'evidence-sha'}, h('code', {class: 'hash full'}, r.evidence_sha256));
  const match = h('span', {class: 'muted small', id: 'evidence-sha-match'});
  sha256hex(text).then((got) => {
    match.textContent = got === r.evidence_sha256 ? ' — the file below hashes to it' : ' — the file below does NOT hash to it';
    match.dataset.match = String(got === r.evidence_sha256);
  }).catch(() => {});
  const download = h('button', {type: 'button', id: 'evidence-download', 'aria-describedby': 'evidence-name', onclick: () => saveFile(text, r.evidence_file)}, 'Download the bundle');
  const check = h('button', {type: 'button', class: 'secondary', id: 'evidence-check', onclick: () => { location.hash = '#check'; checkText(text, r.evidence_file); }}, 'Check this bundle');
  return h('article', {class: 'opened-result', 'data-label': r.label, 'data-tx': r.tx},
    h('h3', {id: 'opened-h', tabindex: '-1'}, 'Signed by ', h('span', {id: 'opened-label'}, r.label), r.org ? h('span', {class: 'muted'}, ` · ${r.org}`) : null),
    h('p', {class: r.threshold ? 'opened' : 'muted small'}, r.threshold
      ? `Opened on chain by the group's committee (t = ${r.t || '?'}): a completed threshold opening is public. This console assembled its evidence from chain data.`
      : 'Opened in the console with the opener key; this opening is known only to this machine until the evidence is shared.'),
    dl([
      ['Member label', r.label, 'opened-member'],
      ['Organisation', r.org || '—', 'opened-org'],
      ['Identity key (Ed25519)', fullHash(r.identity_key, 'opened-key')],
      ['Transaction', h('a', {href: `./#/tx/${r.tx}`, class: 'hash full'}, r.tx)],
      ['Group · epoch', `${r.group} · ${r.epoch}`],
      ['Committed at height', String(r.height)],
      r.topic ? ['Topic', r.topic] : null,
      ['Certificates checked', r.cert_checked ? 'yes, against the consortium CA' : 'no CA loaded (conditions 1–4 only)'],
    ]),
    h('h4', null, 'The proof'),
    dl([
      [r.threshold ? 'Threshold opening' : 'Opening', h('code', {class: 'hash full proof', id: 'opened-opening'}, r.opening)],
      ['A (the member\'s certificate the opening revealed)', h('code', {class: 'hash full', id: 'opened-a'}, r.a)],
      r.committee ? ['Committee (cref)', h('code', {class: 'hash full'}, r.committee)] : null,
    ]),
    r.opened_by && r.opened_by.length ? authoritiesTable(r.opened_by, 'Opened by') : null,
    h('h4', null, 'Evidence bundle'),
    h('p', {class: 'muted small'}, 'Public: anyone checks it offline with ', h('code', null, `veil audit check --evidence ${r.evidence_file} --ca ca.crt`), ', or on the Check evidence tab.'),
    h('div', {class: 'actions'}, download, check, h('code', {class: 'file-name', id: 'evidence-name'}, r.evidence_file)),
    h('p', {class: 'small'}, 'SHA-256 ', sum, match, h('br'), h('span', {class: 'muted'}, 'logged '), timeEl(r.logged)),
    h('details', {class: 'raw'}, h('summary', null, 'The bundle (JSON)'), h('pre', {class: 'payload', id: 'evidence-json'}, text)));
}

function saveFile(text, name) {
  const url = URL.createObjectURL(new Blob([text], {type: 'application/json'}));
  const a = h('a', {href: url, download: name, hidden: true});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function sha256hex(text) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---- recent anonymous transactions --------------------------------------------

const recent = {rows: new Map(), scanning: false, ws: null, last: 0};
const RECENT_MAX = 20;
const SCAN_BLOCKS = 300;

async function get(path) {
  const res = await fetch(path, {cache: 'no-store', headers: {Accept: 'application/json'}});
  if (!res.ok) throw new ConsoleError(res.status, `http_${res.status}`, res.statusText);
  return res.json();
}

function recentRow(tx, height) {
  const btn = h('button', {type: 'button', class: 'small', 'data-open': tx.id, 'aria-label': `Open transaction ${short(tx.id, 16)}`,
    onclick: () => { $('#tx-id').value = tx.id; openTx(tx.id); }}, 'Open');
  return h('tr', {'data-tx': tx.id},
    h('td', {class: 'num'}, h('a', {href: `./#/block/${height}`}, String(height))),
    h('td', null, txLink(tx.id)),
    h('td', null, tx.group ? `${tx.group} · ${tx.epoch}` : '—'),
    h('td', null, tx.topic || '—', tx.tag || tx.tagged ? h('span', {class: 'tag'}, 'tagged') : null),
    h('td', null, btn));
}

function renderRecent() {
  const box = $('#recent');
  const list = [...recent.rows.values()].sort((a, b) => b.height - a.height || b.index - a.index).slice(0, RECENT_MAX);
  if (!list.length) {
    box.replaceChildren(h('p', {class: 'muted'}, recent.scanning ? 'Reading the latest blocks…' : `No anonymous transaction in the latest ${SCAN_BLOCKS} blocks; enter an id above.`));
    return;
  }
  box.replaceChildren(table(null, ['Block', 'Transaction', 'Group · epoch', 'Topic', h('span', {class: 'sr-only'}, 'Action')],
    list.map((r) => recentRow(r.tx, r.height)), {id: 'recent-txs'}, 'Recent anonymous transactions'));
}

function addRecent(tx, height, index) {
  if (tx.kind !== 'anonymous' || recent.rows.has(tx.id)) return;
  recent.rows.set(tx.id, {tx, height, index});
}

// scanRecent walks back from the head block by block (/v1/blocks/N) until
// it has RECENT_MAX anonymous transactions or has read SCAN_BLOCKS blocks.
async function scanRecent() {
  if (recent.scanning) return;
  recent.scanning = true;
  recent.rows.clear();
  renderRecent();
  try {
    const head = await get('/v1/blocks/latest');
    recent.last = Math.max(recent.last, head.height);
    let b = head;
    for (let n = 0; b && n < SCAN_BLOCKS && recent.rows.size < RECENT_MAX; n++) {
      const ids = b.tx_ids || [];
      const codes = b.results || [];
      const txs = await Promise.all(ids.map((id, i) => (codes[i] && codes[i] !== 'ok') ? null : get(`/v1/txs/${id}`).catch(() => null)));
      txs.forEach((tx, i) => tx && addRecent(tx, b.height, i));
      if (b.height <= 1) break;
      b = await get(`/v1/blocks/${b.height - 1}`).catch(() => null);
    }
  } catch (e) {
    $('#recent').replaceChildren(errorBox(e, 'Cannot read the blocks:'));
    recent.scanning = false;
    return;
  }
  recent.scanning = false;
  renderRecent();
  follow();
}

// follow adds the anonymous transactions of new blocks from /v1/events
// (through the console's proxy).
function follow() {
  if (recent.ws) return;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let ws;
  try {
    ws = new WebSocket(`${proto}//${location.host}/v1/events?from_height=${recent.last + 1}`);
  } catch {
    return;
  }
  recent.ws = ws;
  document.documentElement.dataset.live = 'connecting';
  ws.onopen = () => { document.documentElement.dataset.live = 'on'; };
  ws.onmessage = (m) => {
    let ev;
    try {
      ev = JSON.parse(m.data);
    } catch {
      return;
    }
    if (ev.type === 'block') recent.last = Math.max(recent.last, ev.height);
    if (ev.type === 'tx' && ev.tx && ev.tx.kind === 'anonymous') {
      addRecent({id: ev.tx.id, kind: 'anonymous', group: ev.tx.group, epoch: ev.tx.epoch, topic: ev.tx.topic, tag: ev.tx.tag}, ev.height, ev.tx.index || 0);
      renderRecent();
    }
  };
  ws.onclose = () => {
    recent.ws = null;
    document.documentElement.dataset.live = 'off';
    setTimeout(follow, 3000);
  };
}

// ---- check -------------------------------------------------------------------

async function checkText(text, name) {
  const out = $('#check-result');
  out.replaceChildren(h('p', {class: 'muted'}, `Checking ${name} …`));
  let r;
  try {
    r = await call('POST', '/audit/check', text);
  } catch (e) {
    out.replaceChildren(errorBox(e, 'Not checked:'));
    return;
  }
  out.replaceChildren(checkView(r, name));
  $('#check-h2').focus();
}

function checkView(r, name) {
  if (!r.valid) {
    const what = r.condition ? `condition ${r.condition} failed: ${r.condition_name || ''}` : ({
      bad_evidence: 'the bundle does not hold together (its transaction or a certificate)',
      malformed: 'this is not an evidence file',
    }[r.code] || r.code);
    return h('article', {class: 'verdict verdict-bad', 'data-valid': 'false', 'data-code': r.code, 'data-condition': r.condition || ''},
      h('h3', {id: 'check-h2', tabindex: '-1'}, h('span', {class: 'badge badge-bad'}, 'Invalid'), ' ', name),
      h('p', {id: 'check-condition'}, h('strong', null, what)),
      h('p', {class: 'small'}, h('code', null, r.code), ' ', r.message));
  }
  return h('article', {class: 'verdict verdict-ok', 'data-valid': 'true', 'data-label': r.label},
    h('h3', {id: 'check-h2', tabindex: '-1'}, h('span', {class: 'badge badge-ok'}, 'Valid'), ' ', name),
    h('p', null, h('strong', {id: 'check-label'}, r.label), r.org ? ` (${r.org})` : '', ' signed',
      r.tx ? [' transaction ', txLink(r.tx, 16), ` of group ${r.group}`] : '', ` at epoch ${r.epoch}`, r.threshold ? ' — a threshold opening' : '', '.'),
    dl([
      ['Member label', r.label],
      ['Organisation', r.org || '—'],
      ['Identity key (Ed25519)', fullHash(r.identity_key)],
      r.tx ? ['Transaction', h('code', {class: 'hash full'}, r.tx)] : null,
      r.chain_id ? ['Chain', r.chain_id] : null,
      ['Checked', r.accused_checked
        ? 'all five conditions, down to the member\'s certificate from the consortium CA'
        : 'conditions 1–4; no CA loaded in the console: compare the identity key with the accused\'s (condition 5)'],
    ]),
    r.authorities && r.authorities.length ? authoritiesTable(r.authorities, `Opened by (t = ${r.t})`) : null);
}

function setupDrop() {
  const input = $('#ev-file');
  const drop = $('#drop');
  const take = async (file) => {
    if (!file) return;
    checkText(await file.text(), file.name);
  };
  input.addEventListener('change', () => take(input.files[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    take(e.dataTransfer.files[0]);
  });
}

// ---- log ---------------------------------------------------------------------

async function loadLog() {
  const box = $('#log-table');
  let r;
  try {
    r = await call('GET', '/audit/log');
  } catch (e) {
    box.replaceChildren(errorBox(e, 'Cannot read the log:'));
    return;
  }
  $('#log-path').replaceChildren('Every opening this console did, newest first; the file is ', h('code', null, r.path),
    ' (JSON lines, 0600).', r.unreadable_lines ? ` ${r.unreadable_lines} line(s) of it do not read as entries.` : '');
  $('#log-count').textContent = `(${r.entries.length})`;
  if (!r.entries.length) {
    box.replaceChildren(h('p', {class: 'muted'}, 'Nothing opened yet.'));
    return;
  }
  const rows = r.entries.slice().reverse().map((e) => h('tr', {'data-tx': e.tx},
    h('td', null, timeEl(e.time)),
    h('td', null, txLink(e.tx, 12)),
    h('td', null, `${e.group} · ${e.epoch}`),
    h('th', {scope: 'row'}, e.label),
    h('td', null, e.org || '—'),
    h('td', null, e.threshold ? 'committee' : 'key, here'),
    h('td', null, e.cert_checked ? 'yes' : 'no'),
    h('td', null, h('code', {class: 'hash', title: e.evidence_sha256}, short(e.evidence_sha256, 12)))));
  box.replaceChildren(table(null, ['Time', 'Transaction', 'Group · epoch', 'Member', 'Organisation', 'Opened with', 'CA', 'Evidence SHA-256'], rows, {id: 'log-entries'}, "The regulator's log"));
}

// ---- start -------------------------------------------------------------------

function notAudit() {
  $('#audit-root').replaceChildren(
    h('p', {class: 'error', role: 'alert', id: 'not-audit'}, 'This server is not an audit workspace. A node never opens transactions: the regulator runs ',
      h('code', null, 'veil audit console --node URL --opener-key KEY'), ' on its own machine and uses the page it serves.'));
}

async function startPage() {
  $('#skip').addEventListener('click', (e) => {
    e.preventDefault();
    $('#main').focus();
  });
  try {
    info = await call('GET', '/audit/info');
  } catch {
    info = null;
  }
  if (!info || info.mode !== 'audit') {
    notAudit();
    return;
  }
  document.documentElement.dataset.audit = 'on';
  const key = info.can_open
    ? (info.group ? `opener key of group ${info.group} loaded in the console (it never leaves it)` : `opener key loaded; its group is not found on the chain${info.group_error ? ` (${info.group_error})` : ''}`)
    : 'no opener key: threshold openings completed on chain, and evidence checks';
  $('#mode').replaceChildren(`Node ${info.node} · `, key, info.threshold ? ' · the group\'s opener key is shared in a committee: its transactions show as the committee opened them' : '',
    ' · ', info.cert_checked ? 'CA loaded: evidence is checked down to the certificates' : 'no CA loaded: checks stop at condition 4');
  $('#foot-node').textContent = `node ${info.node}`;
  $('#foot-key').textContent = info.can_open ? `opener key: ${info.group || 'loaded'}` : 'opener key: none';
  $('#open-form').addEventListener('submit', (e) => {
    e.preventDefault();
    openTx($('#tx-id').value);
  });
  $('#recent-refresh').addEventListener('click', scanRecent);
  $('#log-refresh').addEventListener('click', loadLog);
  setupDrop();
  window.addEventListener('hashchange', showTab);
  showTab();
  checkNode();
  setInterval(checkNode, 5000);
  scanRecent();
  loadLog();
  document.documentElement.dataset.ready = 'true';
}

// On the console's other pages: an "Open" link in each placeholder.
function attachPlaceholders() {
  if (document.documentElement.dataset.audit !== 'on') return;
  for (const el of document.querySelectorAll('.audit-open[data-tx]:empty')) {
    const id = el.dataset.tx;
    if (!/^[0-9a-f]{64}$/.test(id)) continue;
    el.append(h('a', {href: `audit.html#open=${enc(id)}`, class: 'audit-link', title: 'Open it in the audit workspace (the opening runs in the console, and is logged)'}, 'Open in the audit workspace'));
  }
}

if ($('#audit-root')) {
  startPage();
} else {
  document.addEventListener('veil:audit', attachPlaceholders);
  document.addEventListener('veil:render', attachPlaceholders);
  attachPlaceholders();
}
