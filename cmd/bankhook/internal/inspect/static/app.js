// The bankhook inspector's page: the live list of deliveries (Server-Sent
// Events from /events), the detail of one (/deliveries/{id}), and the
// actions Replay and Send sample (POST, with the page's token). Every
// request also carries the session cookie that opening the address serve
// logged set (HttpOnly: this script never sees it). Every value
// from a delivery is put into the page as text, never as HTML.
'use strict';

const token = document.querySelector('meta[name="bankhook-token"]').content;
const boot = document.querySelector('meta[name="bankhook-boot"]').content;
const maxRows = 500; // what the server keeps

const rows = document.getElementById('rows');
const empty = document.getElementById('empty');
const detail = document.getElementById('detail');
const message = document.getElementById('message');
const filterBank = document.getElementById('filter-bank');
const filterStatus = document.getElementById('filter-status');
const sample = document.getElementById('sample');
const streamState = document.getElementById('stream-state');

let selected = 0; // id of the delivery shown in detail, 0 for none
let liveSince = 0; // when the stream (re)connected: what arrives at once is the backlog

// el creates an element with attributes (properties for on* and
// dataset) and children (strings become text nodes).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function statusClass(status) {
  return status ? 's' + Math.floor(status / 100) : 's0';
}

function pad(n, width) {
  return String(n).padStart(width, '0');
}

function clock(iso) {
  const d = new Date(iso);
  return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + '.' + pad(d.getMilliseconds(), 3);
}

function stamp(iso) {
  const d = new Date(iso);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1, 2) + '-' + pad(d.getDate(), 2) + ' ' + clock(iso);
}

function duration(ms) {
  if (ms < 10) return ms.toFixed(2) + ' ms';
  if (ms < 100) return ms.toFixed(1) + ' ms';
  if (ms < 1000) return ms.toFixed(0) + ' ms';
  return (ms / 1000).toFixed(2) + ' s';
}

function via(d) {
  if (d.via === 'replay') return 'replay of #' + d.replay_of;
  if (d.via === 'sample') return 'sample ' + d.sample;
  return '';
}

// Filters and the open delivery live in the URL's fragment, so a reload
// shows the same view.
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  return { bank: p.get('bank') || '', status: p.get('status') || '', id: Number(p.get('id')) || 0 };
}

function writeHash() {
  const p = new URLSearchParams();
  if (filterBank.value) p.set('bank', filterBank.value);
  if (filterStatus.value) p.set('status', filterStatus.value);
  if (selected) p.set('id', selected);
  const h = p.toString();
  history.replaceState(null, '', h ? '#' + h : location.pathname);
}

function visible(d) {
  return (!filterBank.value || d.bank === filterBank.value) &&
    (!filterStatus.value || Math.floor(d.status / 100) === Number(filterStatus.value));
}

function applyFilters() {
  let shown = 0;
  for (const tr of rows.children) {
    tr.hidden = !visible(tr.summary);
    if (!tr.hidden) shown++;
  }
  empty.hidden = shown > 0;
  if (rows.children.length > 0 && shown === 0) empty.textContent = 'No delivery matches the filters.';
  writeHash();
}

function row(d) {
  const tr = el('tr', {
    tabindex: 0,
    dataset: {
      id: d.id, bank: d.bank, status: d.status, reason: d.reason || '',
      replayed: d.replayed, key: d.idempotency_key || '', via: d.via || '',
    },
    class: d.id === selected ? 'selected' : null,
    onclick: () => select(d.id),
    onkeydown: (e) => { if (e.key === 'Enter') select(d.id); },
  },
  el('td', { class: 'time', title: [d.time, via(d)].filter(Boolean).join(' · ') }, clock(d.time), via(d) && el('span', { class: 'via' }, via(d))),
  el('td', {}, d.bank),
  el('td', { class: 'mono' }, d.sender),
  el('td', {}, el('span', { class: 'status ' + statusClass(d.status) }, d.status || 'no answer')),
  el('td', { class: 'mono' }, d.reason || ''),
  el('td', { class: 'mono key', title: d.idempotency_key || '' }, d.idempotency_key || ''),
  el('td', {}, d.replayed ? el('span', { class: 'tag' }, 'replayed') : ''),
  el('td', { class: 'num' }, duration(d.duration_ms)));
  tr.summary = d;
  return tr;
}

// add puts a delivery into the list, newest first.
function add(d) {
  const old = rows.querySelector('tr[data-id="' + d.id + '"]');
  if (old) old.remove();
  const tr = row(d);
  tr.hidden = !visible(d);
  let before = rows.firstElementChild;
  while (before && Number(before.dataset.id) > d.id) before = before.nextElementSibling;
  rows.insertBefore(tr, before);
  while (rows.children.length > maxRows) rows.lastElementChild.remove();
  if (!tr.hidden) {
    empty.hidden = true;
    if (Date.now() - liveSince > 500) tr.classList.add('new');
  }
}

function clearList() {
  rows.replaceChildren();
  empty.hidden = false;
}

function connect() {
  const es = new EventSource('events');
  es.onopen = () => {
    liveSince = Date.now();
    document.body.dataset.stream = 'live';
    streamState.textContent = 'live';
  };
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      // Refused, not cut: a 401 once serve restarted (the session was
      // the earlier process's), or a 503 while it shuts down.
      document.body.dataset.stream = 'closed';
      streamState.textContent = 'closed';
      say('The live list was refused. If serve restarted, open the address it logged at start (inspector on http://…/?token=…); otherwise reload the page.', true);
      return;
    }
    document.body.dataset.stream = 'reconnecting';
    streamState.textContent = 'reconnecting';
  };
  es.addEventListener('reset', (e) => {
    if (JSON.parse(e.data).boot !== boot) { // another process: a new action token (a restarted serve refuses the old session first, see onerror)
      location.reload();
      return;
    }
    clearList();
  });
  es.addEventListener('delivery', (e) => add(JSON.parse(e.data)));
}

function say(text, isError) {
  message.textContent = text;
  message.className = isError ? 'error' : '';
  message.hidden = !text;
}

async function fetchJSON(url, options) {
  const resp = await fetch(url, options);
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(body.detail || resp.status + ' ' + resp.statusText);
  return body;
}

function post(url) {
  return fetchJSON(url, { method: 'POST', headers: { 'X-Bankhook-Inspector-Token': token } });
}

function section(title, ...children) {
  return el('section', { class: 'part' }, el('h3', {}, title), ...children);
}

function headerTable(headers) {
  return el('table', { class: 'headers' }, el('tbody', {}, headers.map((h) =>
    el('tr', {}, el('th', {}, h.name), el('td', { class: 'mono' }, h.value)))));
}

function code(text, id) {
  return el('pre', { id: id }, text);
}

function renderDetail(x) {
  const d = x.delivery;
  const head = el('div', { class: 'detail-head' },
    el('h2', {}, '#' + d.id + ' ', d.bank, ' ',
      el('span', { class: 'status ' + statusClass(d.status) }, d.status ? d.status + ' ' + ((x.answer && x.answer.status_text) || '') : 'no answer'),
      d.reason && el('span', { class: 'reason mono' }, d.reason),
      d.replayed && el('span', { class: 'tag' }, 'replayed')),
    el('p', { class: 'meta' },
      stamp(d.time), ' · ', duration(d.duration_ms), ' · from ', d.sender || '?',
      via(d) && ' · ' + via(d)),
    el('div', { class: 'actions' },
      el('button', {
        id: 'replay', type: 'button', disabled: !x.replayable,
        title: x.replayable ? 'send the same request through the pipeline again' : x.replay_note,
        onclick: () => replay(d.id),
      }, 'Replay'),
      el('button', { id: 'close', type: 'button', onclick: () => select(0) }, 'Close')));

  const parts = [];
  if (!x.kept) {
    parts.push(el('p', { class: 'note' }, 'The request and the answer are no longer kept: the inspector gave them up to stay within its memory budget.'));
  }
  if (x.event) {
    const ev = x.event;
    parts.push(section('Event',
      el('dl', {},
        el('dt', {}, 'category'), el('dd', {}, ev.category),
        el('dt', {}, 'event type'), el('dd', {}, ev.event_type),
        el('dt', {}, 'object'), el('dd', {}, ev.object_type),
        el('dt', {}, 'idempotency key'), el('dd', { class: 'mono' }, d.idempotency_key || ''),
        el('dt', {}, 'amounts'), el('dd', {}, ev.amounts && ev.amounts.length
          ? el('ul', { id: 'amounts' }, ev.amounts.map((a) => el('li', {}, el('span', { class: 'amount mono' }, a.text), ' ', el('span', { class: 'field' }, a.field))))
          : el('span', { id: 'amounts', class: 'none' }, 'none')))));
  }
  if (x.answer) {
    parts.push(section('Answer',
      el('p', { class: 'mono' }, x.answer.status + ' ' + x.answer.status_text),
      headerTable(x.answer.headers),
      x.answer.body && code(x.answer.body, 'answer-body'),
      x.answer.truncated && el('p', { class: 'note' }, 'only the first 64 KiB are kept'),
      x.cause && el('p', { class: 'cause' }, el('strong', {}, 'cause '), el('span', { class: 'mono' }, x.cause), ' (logged, never sent to the sender)')));
  }
  if (x.request) {
    parts.push(section('Request',
      el('p', { class: 'mono' }, x.request.method + ' ' + x.request.url),
      headerTable(x.request.headers)));
    parts.push(section('Body', x.request.body_note ? el('p', { class: 'note' }, x.request.body_note) : code(x.request.body, 'request-body')));
  }
  if (x.line) {
    parts.push(section('Output line', el('p', { class: 'note' }, x.line_note), code(x.line, 'line')));
  }
  detail.replaceChildren(head, el('div', { class: 'parts' }, parts));
  detail.dataset.id = d.id;
  detail.hidden = false;
}

async function select(id) {
  selected = id;
  for (const tr of rows.querySelectorAll('tr.selected')) tr.classList.remove('selected');
  writeHash();
  if (!id) {
    detail.hidden = true;
    detail.replaceChildren();
    delete detail.dataset.id;
    return;
  }
  const tr = rows.querySelector('tr[data-id="' + id + '"]');
  if (tr) tr.classList.add('selected');
  try {
    const x = await fetchJSON('deliveries/' + id);
    if (selected === id) renderDetail(x);
  } catch (err) {
    say(err.message, true);
  }
}

async function replay(id) {
  say('');
  try {
    const r = await post('deliveries/' + id + '/replay');
    add(r.delivery);
    select(r.delivery.id);
  } catch (err) {
    say('Replay failed: ' + err.message, true);
  }
}

async function sendSample(e) {
  e.preventDefault();
  if (!sample.value) return;
  say('');
  try {
    const r = await post('samples/' + sample.value);
    add(r.delivery);
    select(r.delivery.id);
  } catch (err) {
    say('Send sample failed: ' + err.message, true);
  }
}

async function loadBanks() {
  const banks = await fetchJSON('samples');
  const want = readHash().bank;
  for (const b of banks) {
    filterBank.append(el('option', { value: b.bank, selected: b.bank === want }, b.bank));
    sample.append(el('optgroup', { label: b.bank }, b.samples.map((n) =>
      el('option', { value: encodeURIComponent(b.bank) + '/' + encodeURIComponent(n) }, b.bank + ' ' + n))));
  }
  applyFilters();
}

function start() {
  const h = readHash();
  filterStatus.value = h.status;
  filterBank.onchange = applyFilters;
  filterStatus.onchange = applyFilters;
  document.getElementById('send').onsubmit = sendSample;
  loadBanks().catch((err) => say(err.message, true));
  connect();
  if (h.id) select(h.id);
}

start();
