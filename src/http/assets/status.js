// portwatch status page: renders the data embedded in the page, then refreshes it from
// api/v1/status without reloading. No external fetch; everything is served by portwatch.
(function () {
  'use strict';
  var REFRESH_MS = 30000;
  var SVG = 'http://www.w3.org/2000/svg';
  var DAY_MS = 86400000;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function ago(iso, now) {
    if (!iso) return '';
    var s = Math.max(0, (now - Date.parse(iso)) / 1000);
    if (s < 90) return Math.round(s) + ' s';
    if (s < 5400) return Math.round(s / 60) + ' min';
    if (s < 129600) return Math.round(s / 3600) + ' h';
    return Math.round(s / 86400) + ' d';
  }
  function bars(days, now) {
    var n = days.length || 90;
    var box = svg('svg', { 'class': 'bars', viewBox: '0 0 ' + n * 6 + ' 22', preserveAspectRatio: 'none',
                           role: 'img', 'aria-label': 'uptime, last ' + n + ' days' });
    var today = Math.floor(now / DAY_MS) * DAY_MS;
    for (var i = 0; i < n; i++) {
      var v = days.length ? days[i] : null;
      var cls = v === null || v === undefined ? 'none' : v >= 0.999 ? 'ok' : v >= 0.99 ? 'warn' : 'bad';
      var r = svg('rect', { x: i * 6, y: 0, width: 4, height: 22, rx: 1, 'class': cls });
      var t = svg('title', {});
      var day = new Date(today - (n - 1 - i) * DAY_MS).toISOString().slice(0, 10);
      t.textContent = day + ': ' + (cls === 'none' ? 'no data' : (v * 100).toFixed(2) + '%');
      r.appendChild(t);
      box.appendChild(r);
    }
    return box;
  }
  function spark(points) {
    var box = svg('svg', { 'class': 'spark', viewBox: '0 0 100 22', preserveAspectRatio: 'none',
                           role: 'img', 'aria-label': 'latency, last 24 hours' });
    var vals = points.filter(function (p) { return p !== null; });
    if (!vals.length) return box;
    var max = Math.max.apply(null, vals) || 1;
    var step = points.length > 1 ? 100 / (points.length - 1) : 0;
    var pts = [];
    points.forEach(function (p, i) {
      if (p !== null) pts.push((i * step).toFixed(1) + ',' + (21 - (p / max) * 20).toFixed(1));
    });
    box.appendChild(svg('polyline', { points: pts.join(' ') }));
    return box;
  }
  function target(t, now) {
    var li = el('li', 'target state-' + t.state);
    li.dataset.id = t.id;
    li.dataset.state = t.state;
    var row = el('div', 'row');
    row.appendChild(el('span', 'dot'));
    row.appendChild(el('span', 'name', t.name));
    row.appendChild(el('span', 'addr', t.address));
    row.appendChild(el('span', 'state', t.state.toUpperCase()));
    li.appendChild(row);
    var meta = [];
    if (t.since) meta.push((t.state === 'up' ? 'up' : t.state) + ' for ' + ago(t.since, now));
    if (t.reason) meta.push(t.reason);
    if (t.latency_ms !== null) meta.push(t.latency_ms.toFixed(1) + ' ms');
    if (t.days_left !== undefined) meta.push('certificate: ' + t.days_left + ' days left');
    if (t.description) meta.push(t.description);
    li.appendChild(el('div', 'meta', meta.join(' · ')));
    var charts = el('div', 'charts');
    charts.appendChild(bars(t.days || [], now));
    if ((t.latency || []).some(function (p) { return p !== null; })) charts.appendChild(spark(t.latency));
    li.appendChild(charts);
    return li;
  }
  function render(data) {
    var now = data.taken ? Date.parse(data.taken) : Date.now();
    var main = document.getElementById('groups');
    var frag = document.createDocumentFragment();
    data.groups.forEach(function (g) {
      var section = el('section', 'group');
      section.dataset.group = g.name;
      section.appendChild(el('h2', '', g.name || 'Targets'));
      var ul = el('ul', 'targets');
      g.targets.forEach(function (t) { ul.appendChild(target(t, now)); });
      section.appendChild(ul);
      frag.appendChild(section);
    });
    main.replaceChildren(frag);
    var c = data.counts;
    var summary = document.getElementById('summary');
    summary.textContent = c.down ? c.down + ' down, ' + c.up + ' up' + (c.unknown ? ', ' + c.unknown + ' unknown' : '')
                                 : (c.unknown ? c.up + ' up, ' + c.unknown + ' unknown' : 'All ' + c.up + ' targets up');
    if (data.shown < data.total) summary.textContent += ' (' + data.shown + ' of ' + data.total + ' shown, problems first)';
    summary.className = 'summary ' + (c.down ? 'some-down' : 'all-up');
    document.getElementById('version').textContent = data.version || '';
    var upd = document.getElementById('updated');
    upd.textContent = data.taken ? new Date(data.taken).toLocaleTimeString() : '';
    if (data.taken) upd.setAttribute('datetime', data.taken);
    document.body.dataset.ready = '1';
  }
  function refresh() {
    fetch('api/v1/status' + location.search, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (d) { render(d); document.getElementById('stale').hidden = true; })
      .catch(function () { document.getElementById('stale').hidden = false; });
  }
  render(JSON.parse(document.getElementById('pw-data').textContent));
  setInterval(refresh, REFRESH_MS);
})();
