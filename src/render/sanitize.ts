// HTML from a config, reduced to harmless markup: parsed into an inert document (no scripts run,
// nothing loads), then read back as a tree through an allowlist of tags and attributes. The page
// never sees the string: the DOM is rebuilt from the tree with createElement (tree.ts).
import { fromDom, safeAttr, type Tree } from './tree';

const TAGS = new Set(
  ('a abbr b bdi bdo blockquote br caption cite code col colgroup dd del dfn div dl dt em figcaption figure ' +
    'h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span strong sub sup table tbody td ' +
    'tfoot th thead time tr u ul wbr').split(' '),
);
/** No id or name: they could shadow the page's globals (DOM clobbering). */
const ATTRS = /^(class|title|alt|href|src|width|height|lang|dir|role|colspan|rowspan|datetime|target|rel|aria-[a-z-]+)$/i;

type TT = { createPolicy(name: string, rules: { createHTML(s: string): string }): { createHTML(s: string): unknown } };
let policy: { createHTML(s: string): unknown } | undefined;

/**
 * Under Trusted Types, DOMParser wants TrustedHTML: a private policy that feeds only this inert
 * parse. A page that lists allowed policy names must add `microseg` (else config HTML is refused).
 */
function trusted(html: string): unknown {
  const tt = (globalThis as { trustedTypes?: TT }).trustedTypes;
  if (!tt?.createPolicy) return html;
  policy ??= tt.createPolicy('microseg', { createHTML: (s) => s });
  return policy.createHTML(html);
}

export function sanitizeHtml(html: string): Tree {
  const doc = new DOMParser().parseFromString(trusted(html) as string, 'text/html');
  return clean(fromDom(doc.body.childNodes, {}));
}

function clean(tree: Tree): Tree {
  const out: Tree = [];
  for (const n of tree) {
    if (typeof n === 'string') {
      out.push(n);
      continue;
    }
    const [tag, attrs, ...kids] = n;
    // Everything else goes, with its content (svg:…, math, script, style, form controls…).
    if (!TAGS.has(tag)) continue;
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(attrs || {})) if (ATTRS.test(k) && safeAttr(k, v)) kept[k] = v;
    if (kept.target) kept.rel = 'noopener noreferrer';
    out.push([tag, kept, ...clean(kids)]);
  }
  return out;
}
