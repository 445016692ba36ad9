// The methods `window.microseg` offers before and after the SDK loads: `init` and every method of
// the Microseg API. The snippet's stubs (src/snippet/snippet.js) list the same names; a unit test
// keeps both equal to the API object's methods.
export const FACADE_METHODS = [
  'init', 'track', 'page', 'identify', 'label', 'unlabel', 'labels', 'profile', 'segments',
  'explain', 'config', 'decide', 'suppressedOffers', 'render', 'consent', 'forget', 'on', 'flush', 'storage', 'preview', 'endPreview', 'destroy',
];
