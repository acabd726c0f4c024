// portwatch status page: renders the data embedded in the page, then refreshes it from
// api/v1/status without reloading. No external fetch; everything is served by portwatch.
// URL parameters: group=, state=, offset=, limit= (as api/v1/status), target=ID (one
// target's view), wall=1 (wall screen: tiles, no controls).
(function () {
  'use strict';
  const REFRESH_MS = 15000;
  const STALE_MS = 60000;  // data older than this (daemon time) is not current
  const FETCH_TIMEOUT_MS = 10000;
  const SVG = 'http://www.w3.org/2000/svg';
  const DAY_MS = 86400000;
  const RANK = { down: 0, unknown: 1, up: 2 };
  const GLYPH = { down: '▼', unknown: '?', up: '▲' };  // beside the word, never instead of it

  const params = new URLSearchParams(location.search);
  const wall = params.get('wall') === '1';
  const targetId = params.get('target');
  const baseTitle = document.getElementById('title').textContent;
  let data = null;
  let skewMs = 0;           // daemon clock - browser clock, from the Date header
  let failedSince = null;   // browser time of the first failed refresh in a row
  let lastOkAt = Date.now();  // browser time of the last good answer (the page itself first)
  let takenMovedAt = lastOkAt;  // ... of the last answer whose snapshot time had moved
  let dataAge = 0;              // age of the data when it arrived, on the daemon's clock

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  // A link to this page with some parameters changed (null removes one); wall mode stays.
  function href(changes) {
    const p = new URLSearchParams(location.search);
    for (const k in changes) {
      if (changes[k] === null || changes[k] === '') p.delete(k);
      else p.set(k, changes[k]);
    }
    const q = p.toString();
    return location.pathname + (q ? '?' + q : '');
  }
  function link(text, changes, cls) {
    const a = el('a', cls, text);
    a.href = href(changes);
    return a;
  }
  function now() { return Date.now() + skewMs; }
  function ago(iso) {
    if (!iso) return '';
    const s = Math.max(0, (now() - Date.parse(iso)) / 1000);
    if (s < 90) return Math.round(s) + ' s';
    if (s < 5400) return Math.round(s / 60) + ' min';
    if (s < 129600) return Math.round(s / 3600) + ' h';
    return Math.round(s / 86400) + ' d';
  }
  function stamp(iso) { return iso ? iso.slice(0, 19).replace('T', ' ') + ' UTC' : '—'; }
  function stateBadge(state) {
    const s = el('span', 'state');
    s.appendChild(el('span', '', (GLYPH[state] || '') + ' ')).setAttribute('aria-hidden', 'true');
    s.appendChild(document.createTextNode(state.toUpperCase()));
    return s;
  }

  function bars(days) {
    const n = days.length;
    const box = svg('svg', { 'class': 'bars', viewBox: '0 0 ' + n * 6 + ' 22', preserveAspectRatio: 'none',
                             role: 'img', 'aria-label': 'uptime, last ' + n + ' days' });
    const today = Math.floor(now() / DAY_MS) * DAY_MS;
    days.forEach(function (v, i) {
      const cls = v === null ? 'none' : v >= 0.999 ? 'ok' : v >= 0.99 ? 'warn' : 'bad';
      const r = svg('rect', { x: i * 6, y: 0, width: 4, height: 22, rx: 1, 'class': cls });
      const t = svg('title', {});
      const day = new Date(today - (n - 1 - i) * DAY_MS).toISOString().slice(0, 10);
      t.textContent = day + ': ' + (v === null ? 'no data' : (v * 100).toFixed(2) + '%');
      r.appendChild(t);
      box.appendChild(r);
    });
    return box;
  }
  function spark(points) {
    const box = svg('svg', { 'class': 'spark', viewBox: '0 0 100 22', preserveAspectRatio: 'none',
                             role: 'img', 'aria-label': 'latency, last 24 hours' });
    const vals = points.filter(function (p) { return p !== null; });
    const max = Math.max.apply(null, vals) || 1;
    const step = points.length > 1 ? 100 / (points.length - 1) : 0;
    const pts = [];
    points.forEach(function (p, i) {
      if (p !== null) pts.push((i * step).toFixed(1) + ',' + (21 - (p / max) * 20).toFixed(1));
    });
    box.appendChild(svg('polyline', { points: pts.join(' ') }));
    return box;
  }
  function charts(t) {
    const c = el('div', 'charts');
    if ((t.days || []).length) c.appendChild(bars(t.days));
    if ((t.latency || []).some(function (p) { return p !== null; })) c.appendChild(spark(t.latency));
    return c;
  }
  function facts(t) {
    const m = [];
    if (t.since) m.push(t.state + ' for ' + ago(t.since));
    if (t.reason) m.push(t.reason);
    if (t.latency_ms !== null && t.latency_ms !== undefined) m.push(t.latency_ms.toFixed(1) + ' ms');
    if (t.days_left !== undefined) m.push('certificate: ' + t.days_left + ' days left');
    return m;
  }

  function row(t) {
    const li = el('li', 'target state-' + t.state);
    li.dataset.id = t.id;
    li.dataset.state = t.state;
    const head = el('div', 'row');
    head.appendChild(stateBadge(t.state));
    head.appendChild(link(t.name, { target: t.id, offset: null }, 'name'));
    if (t.group) head.appendChild(link(t.group, { group: t.group, offset: null, target: null }, 'group'));
    head.appendChild(el('span', 'addr', t.address));
    li.appendChild(head);
    const meta = facts(t);
    if (t.description) meta.push(t.description);
    li.appendChild(el('div', 'meta', meta.join(' · ')));
    const c = charts(t);
    if (c.childNodes.length) li.appendChild(c);
    return li;
  }
  function tile(t) {
    const li = el('li', 'tile state-' + t.state);
    li.dataset.id = t.id;
    li.dataset.state = t.state;
    li.appendChild(stateBadge(t.state));
    li.appendChild(link(t.name, { target: t.id, wall: null }, 'name'));
    if (t.state !== 'up') li.appendChild(el('span', 'meta', facts(t).join(' · ')));
    return li;
  }

  // Flat lists from the groups: every problem (DOWN, then UNKNOWN), then the page of UP.
  function split(d) {
    const all = [];
    d.groups.forEach(function (g) { g.targets.forEach(function (t) { all.push(t); }); });
    const key = function (t) { return [RANK[t.state], t.group, t.name]; };
    all.sort(function (a, b) {
      const x = key(a), y = key(b);
      for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
      return 0;
    });
    return { problems: all.filter(function (t) { return t.state !== 'up'; }),
             up: all.filter(function (t) { return t.state === 'up'; }) };
  }
  function section(id, heading, list) {
    const s = el('section', 'list');
    s.id = id;
    const h = el('h2', '', heading);
    h.id = id + '-heading';
    s.setAttribute('aria-labelledby', h.id);
    s.appendChild(h);
    s.appendChild(list);
    return s;
  }
  function pager(d, shown) {
    const nav = el('nav', 'pager');
    nav.setAttribute('aria-label', 'UP targets pages');
    const from = d.offset + 1, to = d.offset + shown;
    if (d.offset > 0) nav.appendChild(link('← previous', { offset: Math.max(0, d.offset - d.limit) || null }));
    nav.appendChild(el('span', '', shown ? from + '–' + to + ' of ' + d.counts.up : ''));
    if (to < d.counts.up) nav.appendChild(link('next →', { offset: to }));
    return nav;
  }
  function renderList(d) {
    const lists = split(d);
    const frag = document.createDocumentFragment();
    const state = params.get('state');
    if (state !== 'up') {
      const ul = el('ul', wall ? 'tiles problems' : 'targets');
      lists.problems.forEach(function (t) { ul.appendChild(wall ? tile(t) : row(t)); });
      if (!lists.problems.length) ul.appendChild(el('li', 'empty', 'No problems: nothing is down or unknown.'));
      frag.appendChild(section('problems', 'Problems (' + lists.problems.length + ')', ul));
    }
    if (!state || state === 'up') {
      const ul = el('ul', wall ? 'tiles ups' : 'targets');
      lists.up.forEach(function (t) { ul.appendChild(wall ? tile(t) : row(t)); });
      const more = d.counts.up - lists.up.length;
      if (wall && more > 0) ul.appendChild(el('li', 'tile more', '+' + more + ' more up'));
      const s = section('up', 'Up (' + d.counts.up + ')', ul);
      if (!wall && d.counts.up > lists.up.length) s.appendChild(pager(d, lists.up.length));
      frag.appendChild(s);
    }
    return frag;
  }

  function definition(dl, term, value) {
    if (value === undefined || value === null || value === '') return;
    dl.appendChild(el('dt', '', term));
    dl.appendChild(el('dd', '', String(value)));
  }
  function table(caption, heads, rows) {
    const t = el('table');
    t.appendChild(el('caption', '', caption));
    const tr = el('tr');
    heads.forEach(function (h) { const th = el('th', '', h); th.scope = 'col'; tr.appendChild(th); });
    t.appendChild(el('thead')).appendChild(tr);
    const body = el('tbody');
    rows.forEach(function (r) {
      const row = el('tr');
      r.forEach(function (c) { row.appendChild(c instanceof Node ? el('td').appendChild(c).parentNode : el('td', '', c)); });
      body.appendChild(row);
    });
    t.appendChild(body);
    const wrap = el('div', 'table-wrap');
    wrap.appendChild(t);
    return wrap;
  }
  function renderTarget(t, fromList) {
    const art = el('article', 'detail state-' + t.state);
    art.dataset.id = t.id;
    art.dataset.state = t.state;
    const h = el('h2');
    h.appendChild(stateBadge(t.state));
    h.appendChild(document.createTextNode(' ' + t.name));
    art.appendChild(h);
    const dl = el('dl');
    definition(dl, 'Address', t.host + ':' + t.port);
    definition(dl, 'Group', t.group);
    definition(dl, 'Description', t.description);
    definition(dl, 'State since', t.since ? stamp(t.since) + ' (' + ago(t.since) + ')' : null);
    definition(dl, 'Reason', t.reason);
    definition(dl, 'Detail', t.detail);
    definition(dl, 'Last check', t.last_check ? stamp(t.last_check) : null);
    definition(dl, 'Latency', t.latency_ms !== null ? t.latency_ms.toFixed(1) + ' ms' : null);
    definition(dl, 'Certificate', t.days_left !== undefined ? t.days_left + ' days left (' + stamp(t.cert_not_after) + ')' : null);
    definition(dl, 'TLS', t.tls_version);
    definition(dl, 'HTTP status', t.http_status);
    art.appendChild(dl);
    const up = t.uptime_percent;
    const windows = ['1h', '24h', '7d', '30d'];
    art.appendChild(table('Uptime', windows, [windows.map(function (w) {
      return up && up[w] !== null && up[w] !== undefined ? up[w].toFixed(2) + ' %' : 'no data';
    })]));
    if (fromList) art.appendChild(charts(fromList));
    const trs = t.transitions || [];
    art.appendChild(table(trs.length ? 'Last ' + trs.length + ' state changes' : 'No state changes recorded',
                          ['Time', 'From', 'To', 'Reason'],
                          trs.map(function (x) { return [stamp(x.time), x.from.toUpperCase(), x.to.toUpperCase(), x.reason]; })));
    return art;
  }
  function loadTarget(d) {
    return fetch('api/v1/targets/' + encodeURIComponent(targetId), { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) {
        if (r.status === 404) return null;
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (t) {
        const main = document.getElementById('main');
        const nav = el('nav', 'back');
        nav.appendChild(link('← all targets', { target: null }));
        const found = t ? split(d).problems.concat(split(d).up).find(function (x) { return x.id === t.id; }) : null;
        main.replaceChildren(nav, t ? renderTarget(t, found) : el('p', 'empty', 'No target named ' + targetId + '.'));
        document.body.dataset.view = 'target';
      });
  }

  function summary(d) {
    const c = d.counts;
    const p = document.getElementById('summary');
    p.replaceChildren();
    const parts = [[c.down, 'down'], [c.unknown, 'unknown'], [c.up, 'up']].filter(function (x) {
      return x[0] > 0 || x[1] !== 'unknown';
    });
    parts.forEach(function (x, i) {
      if (i) p.appendChild(document.createTextNode(', '));
      p.appendChild(x[0] ? link(x[0] + ' ' + x[1], { state: x[1], offset: null, target: null }) : document.createTextNode('0 ' + x[1]));
    });
    const group = params.get('group');
    p.appendChild(document.createTextNode(' · ' + d.total + ' targets' + (group ? ' in group ' + group : '')));
    if (params.get('state')) p.appendChild(document.createTextNode(' · showing ' + params.get('state')));
    p.className = 'summary ' + (c.down ? 'some-down' : c.unknown ? 'some-unknown' : 'all-up');
    document.title = (c.down ? '(' + c.down + ' down) ' : '') + baseTitle;
  }
  function filters(d) {
    const g = document.getElementById('filter-group');
    const group = params.get('group') || '';
    const state = params.get('state') || '';
    g.replaceChildren(new Option('All groups', '', !group, !group));
    (d.all_groups || []).filter(function (x) { return x.name !== ''; }).forEach(function (x) {
      const bad = x.down ? ' — ' + x.down + ' down' : '';
      g.appendChild(new Option((x.name || '(no group)') + bad, x.name, x.name === group, x.name === group));
    });
    if (group && g.value !== group) g.appendChild(new Option(group, group, true, true));
    Array.prototype.forEach.call(document.getElementById('filter-state').options, function (o) {
      o.defaultSelected = o.value === state;
    });
  }
  function checkStale() {
    const banner = document.getElementById('stale');
    let msg = null;
    // A refresh is due every REFRESH_MS; none answered for much longer (one hangs) is a failure.
    const silent = Date.now() - lastOkAt > 2 * REFRESH_MS + FETCH_TIMEOUT_MS;
    if (failedSince !== null || silent) {
      msg = 'Not current: the daemon has not answered since ' + new Date(lastOkAt).toLocaleTimeString() +
            '. Shown: its data of ' + stamp(data && data.taken) + '.';
    } else if (dataAge > STALE_MS || lastOkAt - takenMovedAt > STALE_MS) {
      msg = 'Not current: the daemon\'s data is ' + ago(data.taken) + ' old (' + stamp(data.taken) +
            '); it has stopped updating it.';
    }
    banner.hidden = msg === null;
    banner.textContent = msg || '';
    document.body.classList.toggle('stale', msg !== null);
  }
  function render(d) {
    if (!data || d.taken !== data.taken) takenMovedAt = lastOkAt;
    dataAge = d.taken ? now() - Date.parse(d.taken) : 0;
    data = d;
    summary(d);
    filters(d);
    document.getElementById('version').textContent = d.version || '';
    const upd = document.getElementById('updated');
    upd.textContent = stamp(d.taken);
    if (d.taken) upd.setAttribute('datetime', d.taken);
    const wallLink = document.getElementById('wall-link');
    wallLink.href = href({ wall: 1, target: null, offset: null });
    checkStale();
    const done = targetId ? loadTarget(d) : Promise.resolve(document.getElementById('main').replaceChildren(renderList(d)));
    return done.then(function () {
      // For tests and the curious: does anything overflow the viewport's width?
      const root = document.documentElement;
      document.body.dataset.scrollWidth = root.scrollWidth;
      document.body.dataset.viewWidth = root.clientWidth;
      document.body.dataset.ready = '1';
    });
  }
  function refresh() {
    const abort = new AbortController();
    const timer = setTimeout(function () { abort.abort(); }, FETCH_TIMEOUT_MS);
    fetch('api/v1/status' + location.search, { cache: 'no-store', credentials: 'same-origin', signal: abort.signal })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        const date = Date.parse(r.headers.get('Date') || '');
        if (!isNaN(date)) skewMs = date - Date.now();
        return r.json();
      })
      .then(function (d) { failedSince = null; lastOkAt = Date.now(); return render(d); })
      .catch(function () { if (failedSince === null) failedSince = Date.now(); checkStale(); })
      .finally(function () { clearTimeout(timer); });
  }
  if (wall) document.body.classList.add('wall');
  // The filter form navigates to a clean URL (no empty parameters), so links stay short.
  const form = document.getElementById('filters');
  function applyFilters(e) {
    if (e) e.preventDefault();
    location.href = href({ group: form.group.value, state: form.state.value, offset: null, target: null });
  }
  form.addEventListener('submit', applyFilters);
  form.addEventListener('change', function () { applyFilters(); });
  render(JSON.parse(document.getElementById('pw-data').textContent))
    .catch(function () { failedSince = failedSince || Date.now(); checkStale(); });
  setInterval(refresh, REFRESH_MS);
  // A background tab's timers are slowed down: refresh as soon as it is seen again.
  document.addEventListener('visibilitychange', function () { if (!document.hidden) refresh(); });
  setInterval(checkStale, 5000);
})();
