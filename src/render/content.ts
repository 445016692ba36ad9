// A campaign's content as a tree: a page template filled with the campaign's data, sanitized
// config HTML, or text / image / attributes from the config.
import type { CampaignContent } from '../config/types';
import { sanitizeHtml } from './sanitize';
import { fromDom, safeAttr, safeUrl, type Tree } from './tree';
import { queryAll } from '../shared/page';

export const TEMPLATE = 'data-microseg-template';

/** undefined: the content names a template the page does not have (yet). */
export function contentTree(doc: Document, content: CampaignContent): Tree | undefined {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(content.attributes ?? {})) if (typeof v === 'string' && safeAttr(k, v)) attrs[k] = v;
  if (content.template) {
    const tpl = queryAll<HTMLTemplateElement>(doc, `template[${TEMPLATE}]`).find((t) => t.getAttribute(TEMPLATE) === content.template);
    if (!tpl) return undefined;
    const data: Record<string, unknown> = { text: content.text, image: content.image, ...content.data };
    const tree = fromDom(tpl.content.childNodes, data);
    // `attributes` go on the template's first element.
    const first = tree.find((n) => typeof n !== 'string');
    if (first && typeof first !== 'string') first[1] = { ...(first[1] || {}), ...attrs };
    return tree;
  }
  if (typeof content.html === 'string') return sanitizeHtml(content.html);
  const inner: Tree = [];
  if (content.image && safeUrl(content.image.src)) inner.push(['img', { src: content.image.src, alt: content.image.alt ?? '' }]);
  if (content.text) inner.push(content.text);
  // A link when the config gives an href; other attributes go on the outer element.
  return attrs.href ? [['p', 0, ['a', attrs, ...inner]]] : [['p', attrs, ...inner]];
}
