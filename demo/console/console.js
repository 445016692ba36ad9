// The marketer console shell: sign-in, config version (live), the label form, recent visitors.
// The admin token is never in the page: signing in trades it for an HttpOnly, SameSite=Strict
// cookie, which every API call then carries.
(function () {
  'use strict';
  var signedIn = [];
  var isSignedIn = false;

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: 'same-origin',
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.status === 401 && url !== '/api/login') showLogin('Your session ended: sign in again.');
        if (!res.ok) throw new Error(data.error || res.status + ' ' + res.statusText);
        return data;
      });
    });
  }

  /** Runs `start` once the console is signed in (at once if it is). */
  function whenSignedIn(start) {
    if (isSignedIn) start();
    else signedIn.push(start);
  }

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (ch) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[ch]; });
  }

  // The report and the matrix (loaded after this file) share these.
  window.microsegConsole = { api: api, esc: esc, whenSignedIn: whenSignedIn };

  // ---- sign-in --------------------------------------------------------------------------------
  var loginPanel = document.querySelector('[data-login]');
  var loginForm = document.querySelector('[data-login-form]');
  var loginResult = document.querySelector('[data-login-result]');
  var main = document.querySelector('[data-console-main]');
  var logout = document.querySelector('[data-logout]');

  function showLogin(message) {
    isSignedIn = false;
    loginPanel.hidden = false;
    main.hidden = true;
    logout.hidden = true;
    loginResult.textContent = message || '';
  }

  function enter() {
    loginPanel.hidden = true;
    main.hidden = false;
    logout.hidden = false;
    if (isSignedIn) return;
    isSignedIn = true;
    var starts = signedIn.splice(0);
    starts.forEach(function (start) { start(); });
  }

  loginForm.addEventListener('submit', function (e) {
    e.preventDefault();
    api('POST', '/api/login', { token: loginForm.token.value }).then(function () {
      loginForm.reset();
      enter();
    }).catch(function (err) { loginResult.className = 'form-result error'; loginResult.textContent = err.message; });
  });
  logout.addEventListener('click', function () {
    api('POST', '/api/logout').then(function () { location.reload(); });
  });

  function when(ms) {
    return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }

  // ---- config version -------------------------------------------------------------------------
  var versionEl = document.querySelector('[data-config-version]');
  var liveEl = document.querySelector('[data-config-live]');
  function showConfig(text) {
    try {
      var doc = JSON.parse(text);
      if (typeof doc.payload === 'string') doc = JSON.parse(doc.payload); // a signed envelope
      versionEl.textContent = doc.version;
    } catch (e) { versionEl.textContent = '(unreadable)'; }
  }
  fetch('/api/config').then(function (r) { return r.text(); }).then(showConfig).catch(function () { versionEl.textContent = '(unavailable)'; });
  if (window.EventSource) {
    var source = new EventSource('/api/config/stream');
    source.onmessage = function (e) { showConfig(e.data); };
    source.onopen = function () { liveEl.classList.add('on'); };
    source.onerror = function () { liveEl.classList.remove('on'); };
  }

  // ---- labels ---------------------------------------------------------------------------------
  var form = document.querySelector('[data-label-form]');
  var result = document.querySelector('[data-label-result]');
  var labelsEl = document.querySelector('[data-visitor-labels]');

  function parseValue(text) {
    if (text === '') return undefined;
    try { return JSON.parse(text); } catch (e) { return text; }
  }

  function showLabels(uid) {
    if (!uid) { labelsEl.innerHTML = ''; return; }
    api('GET', '/api/labels?uid=' + encodeURIComponent(uid)).then(function (data) {
      var live = data.labels.filter(function (l) { return !l.deleted; });
      labelsEl.innerHTML = '<h3>Labels of <code>' + esc(uid) + '</code></h3>' + (live.length
        ? '<table><thead><tr><th>Label</th><th>Channel</th><th>Value</th><th>Set</th><th>Expires</th><th></th></tr></thead><tbody>' +
          live.map(function (l) {
            return '<tr><td><strong>' + esc(l.name) + '</strong></td><td>' + esc(l.channel) + '</td><td>' +
              (l.value === undefined ? '' : esc(JSON.stringify(l.value))) + '</td><td>' + when(l.at) + '</td><td>' +
              (l.expires ? when(l.expires) : 'never') + '</td><td><button type="button" class="link" data-delete-label="' +
              esc(l.name) + '">Remove</button></td></tr>';
          }).join('') + '</tbody></table>'
        : '<p class="muted">No labels.</p>');
    }).catch(function (err) { labelsEl.innerHTML = '<p class="error">' + esc(err.message) + '</p>'; });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var data = new FormData(form);
    var body = { uid: String(data.get('uid')).trim(), name: String(data.get('name')).trim(), channel: data.get('channel') };
    var value = parseValue(String(data.get('value')));
    if (value !== undefined) body.value = value;
    if (data.get('ttlDays')) body.ttlDays = Number(data.get('ttlDays'));
    // "The call-centre took it yesterday": back-dated; the expiry counts from then.
    if (data.get('daysAgo')) body.at = Date.now() - Number(data.get('daysAgo')) * 86400000;
    api('POST', '/api/labels', body).then(function () {
      result.className = 'form-result ok';
      result.textContent = 'Label “' + body.name + '” set for ' + body.uid + ' by ' + body.channel + '.';
      showLabels(body.uid);
    }).catch(function (err) {
      result.className = 'form-result error';
      result.textContent = err.message;
    });
  });

  form.uid.addEventListener('change', function () { showLabels(form.uid.value.trim()); });

  labelsEl.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('[data-delete-label]');
    if (!button) return;
    var uid = form.uid.value.trim();
    api('DELETE', '/api/labels/' + encodeURIComponent(uid) + '/' + encodeURIComponent(button.getAttribute('data-delete-label')))
      .then(function () { showLabels(uid); })
      .catch(function (err) { result.className = 'form-result error'; result.textContent = err.message; });
  });

  // ---- population parameters ------------------------------------------------------------------
  var paramsButton = document.querySelector('[data-recompute-params]');
  var paramsResult = document.querySelector('[data-params-result]');
  paramsButton.addEventListener('click', function () {
    paramsResult.textContent = 'Computing…';
    api('POST', '/api/params').then(function (data) {
      paramsResult.textContent = Object.keys(data.params).map(function (name) {
        return name + ' = ' + Math.round(data.params[name] * 100) / 100 + ' (over ' + data.visitors[name] + ' visitors)';
      }).join(', ') + ' · published as ' + data.version;
    }).catch(function (err) { paramsResult.textContent = err.message; });
  });

  // ---- recent visitors ------------------------------------------------------------------------
  var visitorsEl = document.querySelector('[data-visitors]');
  var datalist = document.getElementById('known-visitors');
  function loadVisitors() {
    api('GET', '/api/visitors').then(function (data) {
      datalist.innerHTML = data.visitors.map(function (v) { return '<option value="' + esc(v.uid) + '">'; }).join('');
      visitorsEl.innerHTML = data.visitors.length
        ? data.visitors.map(function (v) {
            return '<li><button type="button" class="link" data-pick-visitor="' + esc(v.uid) + '"><code>' + esc(v.uid) + '</code></button>' +
              '<span class="muted"> · ' + v.events + ' events · last seen ' + when(v.lastSeen) +
              (v.bound ? '' : ' · no visitor cookie yet, so its pages cannot read labels') + '</span></li>';
          }).join('')
        : '<li class="muted">No visitors yet: open the shop in another tab.</li>';
    }).catch(function (err) { visitorsEl.innerHTML = '<li class="error">' + esc(err.message) + '</li>'; });
  }
  visitorsEl.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('[data-pick-visitor]');
    if (!button) return;
    form.uid.value = button.getAttribute('data-pick-visitor');
    showLabels(form.uid.value);
  });
  whenSignedIn(function () {
    loadVisitors();
    setInterval(function () { if (isSignedIn) loadVisitors(); }, 10000);
  });

  fetch('/api/session', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (s) {
    if (s.admin) enter();
    else showLogin();
  }).catch(function () { showLogin(); });
})();
