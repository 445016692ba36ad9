// The copy-paste loader. Defines window.microseg as a command queue, loads the SDK without
// blocking the page, and lets every call made before it loads be replayed in order.
// Pasting it twice is harmless: the second copy sees window.microseg and stops.
(function (w, d, src) {
  // Page markup can shadow document's properties (<img name="currentScript">) and unset window
  // globals (<div id="microseg">): read them through Document.prototype and own properties.
  var D = Document.prototype;
  var get = function (name) { return Object.getOwnPropertyDescriptor(D, name).get.call(d); };
  if (Object.prototype.hasOwnProperty.call(w, 'microseg') && w.microseg) return;
  var q = [];
  var m = { _q: q };
  m.ready = new Promise(function (resolve) { m._r = resolve; });
  // Every method of the API (a unit test keeps this list equal to it).
  var names = 'init track page identify label unlabel labels profile segments explain config decide suppressedOffers render consent forget on flush storage preview endPreview destroy'.split(' ');
  for (var i = 0; i < names.length; i++) {
    (function (name) {
      m[name] = function () { q.push([name, Array.prototype.slice.call(arguments)]); };
    })(names[i]);
  }
  w.microseg = m;
  var s = D.createElement.call(d, 'script');
  var me = get('currentScript');
  s.async = true;
  // A nonce-based CSP admits the SDK with the snippet's own nonce; Trusted Types want a policy.
  if (me instanceof HTMLScriptElement && me.nonce) s.nonce = me.nonce;
  try {
    s.src = w.trustedTypes ? w.trustedTypes.createPolicy('microseg#loader', { createScriptURL: function (u) { return u === src ? u : ''; } }).createScriptURL(src) : src;
  } catch (e) {
    s.src = src;
  }
  // The SDK starts after the first frame, so it never delays the first paint (microseg.paint.js
  // paints that frame); at once in a hidden tab, where frames do not come.
  var go = function () {
    if (!s.parentNode) (get('head') || get('documentElement')).appendChild(s);
  };
  if (get('hidden') || !w.requestAnimationFrame) go();
  else {
    w.requestAnimationFrame(function () { setTimeout(go); });
    EventTarget.prototype.addEventListener.call(d, 'visibilitychange', go);
  }
})(window, document, '/microseg.iife.js');
