// Decisions a server made for this page (microseg/server), handed over in a
// `<script type="application/json" data-microseg-decisions>`: the first-paint script and the SDK
// show them until the live decisions rule, and build them exactly as a live decision is built,
// so the same campaign later is the same view (equal keys): no content change, no flicker.
import type { CampaignContent } from '../config/types';
import { hash32 } from '../decide/hash';
import { plainJson } from '../shared/util';
import { querySelector } from '../shared/page';
import { contentTree } from './content';
import type { View } from './slots';
import type { Tree } from './tree';

export const HANDOVER_ATTR = 'data-microseg-decisions';

export interface Handover {
  v: 1;
  /** The config version the server decided with. */
  version: string;
  /** When the server decided (ms since the epoch). */
  at: number;
  /** slot → campaign (absent: default content), hold-out, content */
  d: Record<string, { c?: string; control?: true; content?: CampaignContent }>;
  /** suppressed offer names ("*" = all) */
  o: string[];
}

/** Equal keys render the same content: one formula for live, snapshot and handed-over views. */
export const viewKey = (campaign: string, tree: Tree) => `${campaign}:${hash32(plainJson(tree)).toString(36)}`;

/** The page's handover, if the server left one (and it is well-formed). */
export function readHandover(doc: Document): Handover | undefined {
  try {
    const el = querySelector(doc, `script[type="application/json"][${HANDOVER_ATTR}]`);
    const h = el && (JSON.parse(el.textContent ?? '') as Handover);
    return h && h.v === 1 && h.d && typeof h.d === 'object' && Array.isArray(h.o) ? h : undefined;
  } catch {
    return undefined; // not JSON: the slots show the snapshot or their default content
  }
}

/**
 * The handed-over view of a slot (undefined while its template is not in the page yet); a slot
 * the server did not decide shows `otherwise` (the first-paint snapshot). `pageFree`: only content
 * that needs no page (text, image, attributes), as a server-rendered framework slot shows it.
 */
export function handoverView(doc: Document, h: Handover | undefined, name: string, otherwise: () => View | undefined, pageFree = false): View | undefined {
  const e = h && Object.hasOwn(h.d, name) ? h.d[name] : undefined;
  if (!e || typeof e !== 'object') return otherwise();
  if (pageFree && e.c && !e.control && (e.content?.template || e.content?.html !== undefined)) return otherwise();
  if (!e.c) return { key: '', state: 'default' };
  if (e.control) return { key: `control:${e.c}`, state: 'control', campaign: e.c };
  const tree = e.content && typeof e.content === 'object' ? contentTree(doc, e.content) : undefined;
  return tree ? { key: viewKey(e.c, tree), state: 'personalized', campaign: e.c, tree } : undefined;
}
