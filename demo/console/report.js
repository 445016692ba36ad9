// The progression/aversion report as a chart: for each journey step, each micro-segment's
// progression rate against the all-visitor average — progressive above the line, aversive below.
// Plain SVG, no chart library.
(function () {
  'use strict';
  var root = document.querySelector('[data-report]');
  if (!root) return;
  var shared = window.microsegConsole;
  var token = shared.token;
  var esc = shared.esc;



  function pct(x, digits) {
    return x === null || x === undefined ? '–' : (x * 100).toFixed(digits === undefined ? 1 : digits) + '%';
  }

  function signed(x) {
    return x === null || x === undefined ? '–' : (x >= 0 ? '+' : '−') + Math.abs(x * 100).toFixed(1) + ' pts';
  }

  var W = 760, H = 240, TOP = 16, BOTTOM = 44, LEFT = 96, RIGHT = 8;

  /** One journey: a column per segment, its height the gap between its rate and the average. */
  function chart(journey, rows, average) {
    var mid = TOP + (H - TOP - BOTTOM) / 2;
    var half = (H - TOP - BOTTOM) / 2;
    var span = 0.05;
    rows.forEach(function (r) { span = Math.max(span, Math.abs(r.progression_rate - average)); });
    var step = (W - LEFT - RIGHT) / Math.max(rows.length, 1);
    var bar = Math.min(56, step * 0.6);
    var crowded = step < 110; // names alternate between two lines
    var parts = [
      '<svg class="report-chart" viewBox="0 0 ' + W + ' ' + H + '" role="img" aria-label="' +
        esc(journey + ': progression rate per segment against the average of ' + pct(average)) + '">',
      // The left gutter holds the axis: progressive above the average, aversive below.
      '<text class="axis" x="0" y="' + (TOP + 10) + '">progressive ↑</text>',
      '<text class="axis" x="0" y="' + (H - BOTTOM) + '">aversive ↓</text>',
    ];
    rows.forEach(function (r, i) {
      var diff = r.progression_rate - average;
      var h = Math.max(1, (Math.abs(diff) / span) * half);
      var x = LEFT + i * step + (step - bar) / 2;
      var y = diff >= 0 ? mid - h : mid;
      var cls = diff >= 0 ? 'up' : 'down';
      var title = r.segment + ': ' + pct(r.progression_rate) + ' progressed, ' + pct(r.aversion_rate) + ' averted of ' +
        r.exposures + ' exposed; average ' + pct(average) + '; uplift over hold-out ' + signed(r.uplift) +
        (r.uplift_low === null ? '' : ' (95% CI ' + signed(r.uplift_low) + ' to ' + signed(r.uplift_high) + ')');
      parts.push(
        '<g class="bar ' + cls + '"><title>' + esc(title) + '</title>' +
          '<rect x="' + x.toFixed(1) + '" y="' + y.toFixed(1) + '" width="' + bar.toFixed(1) + '" height="' + h.toFixed(1) + '"></rect>' +
          '<text class="value" x="' + (x + bar / 2).toFixed(1) + '" y="' + (diff >= 0 ? y - 4 : y + h + 12).toFixed(1) + '">' + pct(r.progression_rate, 0) + '</text>' +
          '<text class="name" x="' + (x + bar / 2).toFixed(1) + '" y="' + (H - 20 + (crowded && i % 2 ? 14 : 0)) + '">' + esc(r.segment.length > 15 ? r.segment.slice(0, 14) + '…' : r.segment) + '</text>' +
        '</g>',
      );
    });
    parts.push('<line class="average" x1="0" x2="' + (W - RIGHT) + '" y1="' + mid + '" y2="' + mid + '"></line>');
    parts.push('<text class="axis" x="0" y="' + (mid - 4) + '">average ' + pct(average) + '</text>');
    parts.push('</svg>');
    return parts.join('');
  }

  function table(rows) {
    return '<table class="report-table"><thead><tr><th>Segment</th><th>Exposed</th><th>Progression</th><th>Aversion</th>' +
      '<th>Hold-out</th><th>Uplift (95% CI)</th></tr></thead><tbody>' +
      rows.map(function (r) {
        var significant = r.uplift_low !== null && (r.uplift_low > 0 || r.uplift_high < 0);
        return '<tr><td>' + (r.segment === '*' ? '<strong>every visitor</strong>' : esc(r.segment)) + '</td><td>' + r.exposures +
          '</td><td>' + pct(r.progression_rate) + '</td><td>' + pct(r.aversion_rate) + '</td><td>' + r.holdout +
          (r.holdout ? ' · ' + pct(r.holdout_rate) : '') + '</td><td' + (significant ? ' class="significant"' : '') + '>' + signed(r.uplift) +
          (r.uplift_low === null ? '' : ' <span class="muted">(' + signed(r.uplift_low) + ' … ' + signed(r.uplift_high) + ')</span>') +
          '</td></tr>';
      }).join('') + '</tbody></table>';
  }

  function render(data) {
    var journeys = {};
    var order = [];
    data.rows.forEach(function (r) {
      if (!journeys[r.journey]) { journeys[r.journey] = []; order.push(r.journey); }
      journeys[r.journey].push(r);
    });
    if (!order.length) {
      root.innerHTML = '<p class="muted">No journey has settled yet. Run <code>npm run simulate</code>, or browse the shop and come back when windows close.</p>';
      return;
    }
    root.className = 'report';
    root.innerHTML = order.map(function (id) {
      var rows = journeys[id];
      var all = rows.filter(function (r) { return r.segment === '*'; })[0];
      var segments = rows.filter(function (r) { return r.segment !== '*' && r.exposures > 0; });
      return '<section class="journey"><h3>' + esc(id) + ' <span class="muted">· ' + all.exposures + ' exposed, ' +
        pct(all.progression_rate) + ' progressed, ' + pct(all.aversion_rate) + ' averted · uplift ' + signed(all.uplift) + '</span></h3>' +
        chart(id, segments, all.progression_rate) +
        '<details><summary>Numbers</summary>' + table(rows) + '</details></section>';
    }).join('');
  }

  function load() {
    fetch('/api/report', { headers: { Authorization: 'Bearer ' + token() } })
      .then(function (res) { return res.json().then(function (data) { if (!res.ok) throw new Error(data.error || res.status); return data; }); })
      .then(render)
      .catch(function (err) { root.innerHTML = '<p class="error">' + esc(err.message) + '</p>'; });
  }
  load();
  setInterval(load, 15000);
})();
