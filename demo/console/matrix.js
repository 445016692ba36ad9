// The segment × date matrix: rows are micro-segments (with their coverage among the collected
// visitors), columns the next days, each cell the campaign that segment gets in the chosen slot
// that day, its hold-out share and whether a duration period follows. A cell makes a signed
// preview link: the page as that segment on that date.
(function () {
  'use strict';
  var root = document.querySelector('[data-matrix]');
  if (!root) return;
  var shared = window.microsegConsole;
  var api = shared.api;
  var esc = shared.esc;
  /** The page a slot lives on, for preview links. */
  var PAGES = { hero: '/', 'checkout-upsell': '/checkout' };
  var PRODUCT = '/p/hb-alma';
  var state = { slot: null, days: 10, data: null, coverage: null };




  /** A stable, light colour per campaign, so a campaign's run reads as one band across the row. */
  function hue(id) {
    var h = 0;
    for (var i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360;
    return 'hsl(' + h + ' 70% 90%)';
  }

  function day(date) {
    var d = new Date(date + 'T12:00:00');
    return '<span class="dow">' + d.toLocaleDateString(undefined, { weekday: 'short' }) + '</span>' + d.getDate() + '/' + (d.getMonth() + 1);
  }

  function draw() {
    var m = state.data;
    if (!m) return;
    if (!state.slot || m.slots.indexOf(state.slot) < 0) state.slot = m.slots[0];
    var cov = {};
    (state.coverage ? state.coverage.segments : []).forEach(function (c) { cov[c.segment] = c; });
    var visitors = state.coverage ? state.coverage.visitors : 0;
    var controls = '<div class="matrix-controls">' +
      '<label>Slot <select data-matrix-slot>' + m.slots.map(function (s) {
        return '<option' + (s === state.slot ? ' selected' : '') + '>' + esc(s) + '</option>';
      }).join('') + '</select></label>' +
      '<label>Days <select data-matrix-days>' + [7, 10, 14, 28].map(function (n) {
        return '<option' + (n === state.days ? ' selected' : '') + '>' + n + '</option>';
      }).join('') + '</select></label>' +
      '<span class="muted">Config ' + esc(m.version) + ' · coverage of ' + visitors + ' collected visitor' + (visitors === 1 ? '' : 's') +
      ' · under each campaign: its hold-out share · its duration period</span></div>';
    var head = '<tr><th class="seg">Segment</th><th class="cov">Coverage</th>' + m.dates.map(function (d) { return '<th class="day">' + day(d) + '</th>'; }).join('') + '</tr>';
    var body = m.rows.map(function (row) {
      var c = cov[row.segment];
      var share = c ? Math.round(c.share * 1000) / 10 : 0;
      var cells = (row.slots[state.slot] || []).map(function (cell, i) {
        var date = m.dates[i];
        var title = row.segment + ' on ' + date + ': ' + (cell ? cell.campaign + ' (priority ' + cell.priority + ', hold-out ' + Math.round(cell.holdout * 100) + '%' + (cell.duration ? ', keeps other campaigns away for ' + cell.duration : '') + ')' : 'default content') + ' — preview';
        return '<td class="cell' + (cell ? '' : ' empty') + '"' + (cell ? ' style="background:' + hue(cell.campaign) + '"' : '') + '>' +
          '<button type="button" data-preview-cell data-segment="' + esc(row.segment) + '" data-date="' + date + '" data-campaign="' + esc(cell ? cell.campaign : '') + '" title="' + esc(title) + '" aria-label="' + esc(title) + '">' +
          (cell ? '<span class="campaign">' + esc(cell.campaign) + '</span><span class="meta">' + [cell.holdout ? Math.round(cell.holdout * 100) + '% held out' : '', cell.duration ? esc(cell.duration) + ' period' : ''].filter(Boolean).join(' · ') + '</span>' : '<span class="muted">—</span>') +
          '</button></td>';
      }).join('');
      return '<tr><th class="seg" scope="row"><strong>' + esc(row.segment) + '</strong>' + (row.fallback ? ' <span class="muted">(fallback)</span>' : '') +
        (row.name ? '<span class="name">' + esc(row.name) + '</span>' : '') + '</th>' +
        '<td class="cov" data-coverage="' + esc(row.segment) + '"><span class="bar" style="width:' + Math.min(100, share) + '%"></span><span class="pct">' + share + '%</span></td>' + cells + '</tr>';
    }).join('');
    root.innerHTML = controls + '<div class="matrix-scroll"><table class="matrix"><thead>' + head + '</thead><tbody>' + body + '</tbody></table></div>' +
      '<p class="preview-result" data-preview-result role="status"><span class="muted">Choose a cell for a preview link: the page as that segment on that date.</span></p>';
  }

  function load() {
    Promise.all([
      api('GET', '/api/matrix?days=' + state.days),
      api('GET', '/api/coverage').catch(function () { return null; }),
    ]).then(function (r) {
      state.data = r[0];
      state.coverage = r[1];
      draw();
    }).catch(function (err) { root.innerHTML = '<p class="error">' + esc(err.message) + '</p>'; });
  }

  root.addEventListener('change', function (e) {
    if (e.target.matches('[data-matrix-slot]')) { state.slot = e.target.value; draw(); }
    if (e.target.matches('[data-matrix-days]')) { state.days = Number(e.target.value); load(); }
  });

  root.addEventListener('click', function (e) {
    var cell = e.target.closest && e.target.closest('[data-preview-cell]');
    if (!cell) return;
    var out = root.querySelector('[data-preview-result]');
    var segment = cell.getAttribute('data-segment');
    var date = cell.getAttribute('data-date');
    var path = PAGES[state.slot] || PRODUCT;
    out.textContent = 'Signing a preview link…';
    api('POST', '/api/preview', { segment: segment, date: date, path: path }).then(function (data) {
      var what = (path === PRODUCT ? 'the product page' : path === '/' ? 'the home page' : 'the checkout') + ' as ' + segment + ' on ' + date;
      out.innerHTML = 'Preview: <a data-preview-link target="_blank" rel="noopener" href="' + esc(data.url) + '">' + esc(what) + ' ↗</a> <span class="muted">(valid for an hour; it names a segment and a date, no visitor)</span>';
    }).catch(function (err) { out.innerHTML = '<span class="error">' + esc(err.message) + '</span>'; });
  });

  shared.whenSignedIn(function () {
    load();
    // The plan follows published configs; coverage follows collected data.
    if (window.EventSource) new EventSource('/api/config/stream').onmessage = function () { load(); };
    setInterval(load, 30000);
  });
})();
