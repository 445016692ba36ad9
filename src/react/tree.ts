// A content tree (render/tree.ts) as React elements, through the same filters as the DOM builder:
// no tag that runs code, no event handler, style or unsafe URL — text is always text.
import { createElement, type ReactNode } from 'react';
import { BAD_TAG, safeAttr, type Tree } from '../render/tree';

/** HTML attribute names React spells differently. */
const REACT_NAMES: Record<string, string> = {
  class: 'className', for: 'htmlFor', tabindex: 'tabIndex', readonly: 'readOnly', maxlength: 'maxLength',
  colspan: 'colSpan', rowspan: 'rowSpan', crossorigin: 'crossOrigin', datetime: 'dateTime', referrerpolicy: 'referrerPolicy',
};
const NAME = /^[a-z][a-z0-9-]*$/i;

export function toReact(tree: Tree): ReactNode[] {
  const out: ReactNode[] = [];
  (Array.isArray(tree) ? tree : []).forEach((n, i) => {
    if (typeof n === 'string') out.push(n);
    else if (Array.isArray(n) && typeof n[0] === 'string') {
      const tag = n[0].startsWith('svg:') ? n[0].slice(4) : n[0];
      if (!NAME.test(tag) || BAD_TAG.test(tag)) return;
      const props: Record<string, string | number> = { key: i };
      const attrs = n[1];
      if (attrs && typeof attrs === 'object') {
        for (const k of Object.keys(attrs)) {
          const v = String(attrs[k]);
          if (safeAttr(k, v)) props[REACT_NAMES[k.toLowerCase()] ?? k] = v;
        }
      }
      const kids = toReact(n.slice(2) as Tree);
      out.push(createElement(tag, props, ...kids));
    }
  });
  return out;
}
