// Rendered content as plain data: `string` is a text node, `[tag, attrs, ...children]` an element
// ("svg:" prefixes SVG elements). Content is turned into this shape once (from a page template,
// config text/image/attributes or sanitized config HTML), kept in the first-paint snapshot, and
// built into the DOM with createElement/setAttribute only — no HTML parsing, no sinks, so it
// works under Trusted Types. The builder filters again: a snapshot in localStorage is input too.

import { nodeFactory } from '../shared/page';

export type TreeNode = string | [tag: string, attrs: Record<string, string> | 0, ...children: TreeNode[]];
export type Tree = TreeNode[];

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Elements that run code, load documents, change the page's base or animate attributes. */
export const BAD_TAG = /^(script|style|iframe|frame|frameset|object|embed|applet|template|noscript|base|link|meta|title|form|foreignobject|animate|animatemotion|animatetransform|set|use|handler|listener|math|portal|fencedframe)$/i;
/**
 * Event handlers, inline styles (CSP), attributes that embed documents or submit forms, and
 * id / name / form: an element with them shadows the page's globals and document's properties
 * (DOM clobbering) or joins the page's forms. The one rule for every path content takes: config
 * attributes, template data, sanitized config HTML, the first-paint snapshot.
 */
const BAD_ATTR = /^(on|style$|srcdoc$|srcset$|formaction$|action$|is$|id$|name$|form$|xmlns|data-microseg-(slot|offer|state|campaign)$)/i;
const URL_ATTR = /^(href|src|poster|cite|background|data|ping|codebase|longdesc)$/i;
const NAME = /^[a-z][a-z0-9-]*$/i;

/** A URL an attribute may hold: relative, http(s), mailto, tel. */
export function safeUrl(value: string): boolean {
  // Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
  const v = value.replace(/[\u0000-\u0020\u007f-\u00a0]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(v);
  return !scheme || /^(https?|mailto|tel)$/i.test(scheme[1]!);
}

export function safeAttr(name: string, value: string): boolean {
  return NAME.test(name) && !BAD_ATTR.test(name) && (!URL_ATTR.test(name) || safeUrl(value));
}

/** Builds `tree` under `parent` and returns the top-level nodes it added. */
export function build(doc: Document, tree: Tree, parent: Node): Node[] {
  const make = nodeFactory(doc);
  const added: Node[] = [];
  for (const n of Array.isArray(tree) ? tree : []) {
    let node: Node | undefined;
    if (typeof n === 'string') node = make.text(n);
    else if (Array.isArray(n) && typeof n[0] === 'string') {
      const svg = n[0].startsWith('svg:');
      const tag = svg ? n[0].slice(4) : n[0];
      if (!NAME.test(tag) || BAD_TAG.test(tag)) continue;
      const el = make.element(tag, svg ? SVG_NS : undefined);
      const attrs = n[1];
      if (attrs && typeof attrs === 'object') {
        for (const k of Object.keys(attrs)) {
          const v = String(attrs[k]);
          if (safeAttr(k, v)) el.setAttribute(k, v);
        }
      }
      build(doc, n.slice(2) as Tree, el);
      node = el;
    }
    if (node) added.push(parent.appendChild(node));
  }
  return added;
}

/**
 * A page element (a template's content) as a tree, with the campaign's values filled in:
 * `data-microseg-text="field"` sets the text, `data-microseg-attr="href:url; title:name"` sets
 * attributes, `data-microseg-image` takes the image's src and alt. Values are text, never markup.
 */
export function fromDom(nodes: NodeListOf<ChildNode> | ChildNode[], data: Record<string, unknown>): Tree {
  const out: Tree = [];
  for (const node of Array.from(nodes)) {
    if (node.nodeType === 3) out.push(node.nodeValue ?? '');
    if (node.nodeType !== 1) continue;
    const el = node as Element;
    const svg = el.namespaceURI === SVG_NS;
    if (!svg && el.namespaceURI !== 'http://www.w3.org/1999/xhtml') continue; // MathML and the rest
    const tag = el.localName;
    if (BAD_TAG.test(tag)) continue;
    const attrs: Record<string, string> = {};
    for (const a of Array.from(el.attributes)) if (safeAttr(a.name, a.value)) attrs[a.name] = a.value;
    for (const pair of (el.getAttribute('data-microseg-attr') ?? '').split(';')) {
      const i = pair.indexOf(':');
      const name = pair.slice(0, i).trim();
      const value = text(data[pair.slice(i + 1).trim()]);
      // A rejected value (e.g. a javascript: URL) keeps the template's own attribute.
      if (i > 0 && value !== undefined && safeAttr(name, value)) attrs[name] = value;
    }
    const img = data.image as { src?: unknown; alt?: unknown } | undefined;
    if (el.hasAttribute('data-microseg-image') && img) {
      if (typeof img.src === 'string' && safeUrl(img.src)) attrs.src = img.src;
      if (typeof img.alt === 'string') attrs.alt = img.alt;
    }
    const field = el.getAttribute('data-microseg-text');
    const value = field === null ? undefined : text(data[field]);
    const kids = value !== undefined ? [value] : fromDom(el.childNodes, data);
    out.push([svg ? `svg:${tag}` : tag, attrs, ...kids]);
  }
  return out;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}
