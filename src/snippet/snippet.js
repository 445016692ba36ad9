// The copy-paste loader. Defines window.microseg as a command queue, loads the SDK without
// blocking the page, and lets every call made before it loads be replayed in order.
// Pasting it twice is harmless: the second copy sees window.microseg and stops.
(function (w, d, src) {
  if (w.microseg) return;
  var q = [];
  var m = { _q: q };
  m.ready = new Promise(function (resolve) { m._r = resolve; });
  var names = 'init track page identify label unlabel labels profile segments explain config decide suppressedOffers render consent forget on flush storage destroy'.split(' ');
  for (var i = 0; i < names.length; i++) {
    (function (name) {
      m[name] = function () { q.push([name, Array.prototype.slice.call(arguments)]); };
    })(names[i]);
  }
  w.microseg = m;
  var s = d.createElement('script');
  var me = d.currentScript;
  s.async = true;
  // A nonce-based CSP admits the SDK with the snippet's own nonce; Trusted Types want a policy.
  if (me && me.nonce) s.nonce = me.nonce;
  try {
    s.src = w.trustedTypes ? w.trustedTypes.createPolicy('microseg#loader', { createScriptURL: function (u) { return u === src ? u : ''; } }).createScriptURL(src) : src;
  } catch (e) {
    s.src = src;
  }
  // The SDK starts after the first frame, so it never delays the first paint (microseg.paint.js
  // paints that frame); at once in a hidden tab, where frames do not come.
  var go = function () {
    if (!s.parentNode) (d.head || d.documentElement).appendChild(s);
  };
  if (d.hidden || !w.requestAnimationFrame) go();
  else {
    w.requestAnimationFrame(function () { setTimeout(go); });
    d.addEventListener('visibilitychange', go);
  }
})(window, document, '/microseg.iife.js');
