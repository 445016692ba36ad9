// The progression/aversion report as a chart: for each journey step, each micro-segment's
// progression rate against the all-visitor average — progressive above the line, aversive below.
// Plain SVG, no chart library.
(function () {
  'use strict';
  var root = document.querySelector('[data-report]');
  if (!root) return;
  var shared = window.microsegConsole;
  var esc = shared.esc;
  function pct(x, digits) {
    return x === null || x === undefined ? '–' : (x * 100).toFixed(digits === undefined ? 1 : digits) + '%';
  }

  function signed(x) {
    return x === null || x === undefined ? '–' : (x >= 0 ? '+' : '−') + Math.abs(x * 100).toFixed(1) + ' pts';
  }

  var W = 760, TOP = 16, PLOT = 180, LEFT = 96, RIGHT = 8, LINE = 13;

  /** A segment id on as many lines as it needs (split at - _ . :), never cut. */
  function nameLines(name, width) {
    var max = Math.max(6, Math.floor(width / 6.2));
    var lines = [];
    var line = '';
    name.split(/(?<=[-_.:])/).forEach(function (part) {
      while (part.length > max) { if (line) { lines.push(line); line = ''; } lines.push(part.slice(0, max)); part = part.slice(max); }
      if ((line + part).length > max && line) { lines.push(line); line = ''; }
      line += part;
    });
    if (line) lines.push(line);
    return lines;
  }

  /**
   * One journey: a column per segment, its height the gap between its rate and the average, a
   * whisker for the 95 % interval of that gap, and n under its name. Segments below the minimum
   * sample are grey: too few visitors to read.
   */
  function chart(journey, rows, average, minN) {
    var step = (W - LEFT - RIGHT) / Math.max(rows.length, 1);
    var bar = Math.min(56, step * 0.6);
    var labels = rows.map(function (r) { return nameLines(r.segment, step - 6); });
    var nameRows = labels.reduce(function (m, l) { return Math.max(m, l.length); }, 1);
    var H = TOP + PLOT + 8 + (nameRows + 1) * LINE + 4;
    var mid = TOP + PLOT / 2;
    var half = PLOT / 2;
    var span = 0.05;
    rows.forEach(function (r) {
      span = Math.max(span, Math.abs(r.difference), Math.abs(r.difference_low === null ? 0 : r.difference_low), Math.abs(r.difference_high === null ? 0 : r.difference_high));
    });
    var yOf = function (d) { return mid - (d / span) * half; };
    var parts = [
      '<svg class="report-chart" viewBox="0 0 ' + W + ' ' + H + '" role="img" aria-label="' +
        esc(journey + ': progression rate per segment against the average of ' + pct(average)) + '">',
      // The left gutter holds the axis: progressive above the average, aversive below.
      '<text class="axis" x="0" y="' + (TOP + 10) + '">progressive ↑</text>',
      '<text class="axis" x="0" y="' + (TOP + PLOT) + '">aversive ↓</text>',
    ];
    rows.forEach(function (r, i) {
      var diff = r.difference;
      var h = Math.max(1, Math.abs(yOf(diff) - mid));
      var x = LEFT + i * step + (step - bar) / 2;
      var cx = x + bar / 2;
      var y = diff >= 0 ? mid - h : mid;
      var small = r.below_min_n;
      var cls = (diff >= 0 ? 'up' : 'down') + (small ? ' small' : '');
      var title = r.segment + ': ' + pct(r.progression_rate) + ' progressed (95% CI ' + pct(r.progression_low) + '–' + pct(r.progression_high) + ') of n = ' +
        r.exposures + ' exposed; ' + signed(diff) + ' against the average ' + pct(average) +
        (r.difference_low === null ? '' : ' (95% CI ' + signed(r.difference_low) + ' to ' + signed(r.difference_high) + ')') +
        '; uplift over hold-out ' + signed(r.uplift) + (r.uplift_low === null ? '' : ' (95% CI ' + signed(r.uplift_low) + ' to ' + signed(r.uplift_high) + ')') +
        (small ? '; fewer than ' + minN + ' exposed: too few to read' : '');
      var whisker = r.difference_low === null ? '' :
        '<line class="ci" x1="' + cx.toFixed(1) + '" x2="' + cx.toFixed(1) + '" y1="' + yOf(r.difference_low).toFixed(1) + '" y2="' + yOf(r.difference_high).toFixed(1) + '"></line>' +
        '<line class="ci" x1="' + (cx - 5).toFixed(1) + '" x2="' + (cx + 5).toFixed(1) + '" y1="' + yOf(r.difference_low).toFixed(1) + '" y2="' + yOf(r.difference_low).toFixed(1) + '"></line>' +
        '<line class="ci" x1="' + (cx - 5).toFixed(1) + '" x2="' + (cx + 5).toFixed(1) + '" y1="' + yOf(r.difference_high).toFixed(1) + '" y2="' + yOf(r.difference_high).toFixed(1) + '"></line>';
      var nameY = TOP + PLOT + 8 + LINE;
      var name = '<text class="name" x="' + cx.toFixed(1) + '" y="' + nameY + '">' + labels[i].map(function (line, k) {
        return '<tspan x="' + cx.toFixed(1) + '" dy="' + (k ? LINE : 0) + '">' + esc(line) + '</tspan>';
      }).join('') + '</text>';
      var n = '<text class="n" x="' + cx.toFixed(1) + '" y="' + (nameY + nameRows * LINE) + '">n = ' + r.exposures + (small ? ' · too few' : '') + '</text>';
      parts.push(
        '<g class="bar ' + cls + '" data-segment="' + esc(r.segment) + '" data-n="' + r.exposures + '"' + (small ? ' data-below-min-n' : '') + '><title>' + esc(title) + '</title>' +
          '<rect x="' + x.toFixed(1) + '" y="' + y.toFixed(1) + '" width="' + bar.toFixed(1) + '" height="' + h.toFixed(1) + '"></rect>' + whisker +
          '<text class="value" x="' + cx.toFixed(1) + '" y="' + (diff >= 0 ? Math.min(y, r.difference_high === null ? y : yOf(r.difference_high)) - 4 : Math.max(y + h, r.difference_low === null ? y + h : yOf(r.difference_low)) + 12).toFixed(1) + '">' + pct(r.progression_rate, 0) + '</text>' +
          name + n +
        '</g>',
      );
    });
    parts.push('<line class="average" x1="0" x2="' + (W - RIGHT) + '" y1="' + mid + '" y2="' + mid + '"></line>');
    parts.push('<text class="axis" x="0" y="' + (mid - 4) + '">average ' + pct(average) + '</text>');
    parts.push('</svg>');
    return parts.join('');
  }

  function table(rows) {
    return '<table class="report-table"><thead><tr><th>Segment</th><th>n exposed</th><th>Progression (95% CI)</th><th>Aversion</th>' +
      '<th>Against the average (95% CI)</th><th>Hold-out</th><th>Uplift (95% CI)</th></tr></thead><tbody>' +
      rows.map(function (r) {
        var significant = r.uplift_low !== null && (r.uplift_low > 0 || r.uplift_high < 0);
        return '<tr' + (r.below_min_n ? ' class="small"' : '') + '><td>' + (r.segment === '*' ? '<strong>every visitor</strong>' : esc(r.segment)) + '</td><td>' + r.exposures +
          (r.below_min_n ? ' <span class="muted">(too few)</span>' : '') +
          '</td><td>' + pct(r.progression_rate) + (r.progression_low === null ? '' : ' <span class="muted">(' + pct(r.progression_low) + '–' + pct(r.progression_high) + ')</span>') +
          '</td><td>' + pct(r.aversion_rate) + '</td><td>' + (r.segment === '*' ? '' : signed(r.difference) +
          (r.difference_low === null ? '' : ' <span class="muted">(' + signed(r.difference_low) + ' … ' + signed(r.difference_high) + ')</span>')) + '</td><td>' + r.holdout +
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
        chart(id, segments, all.progression_rate, data.minN) +
        '<details><summary>Numbers</summary>' + table(rows) + '</details></section>';
    }).join('');
  }

  function load() {
    shared.api('GET', '/api/report')
      .then(render)
      .catch(function (err) { root.innerHTML = '<p class="error">' + esc(err.message) + '</p>'; });
  }
  shared.whenSignedIn(function () {
    load();
    setInterval(load, 15000);
  });
})();
