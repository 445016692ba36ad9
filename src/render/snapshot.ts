// The first-paint snapshot: the last decisions with the content they render, kept synchronously
// in localStorage (only with consent) so that the next page can paint them while it parses.
import type { Tree } from './tree';
import type { View } from './slots';
import { adoptSheet, createElement, pageHead, querySelector, runningScript } from '../shared/page';
import { plainJson } from '../shared/util';

const SNAPSHOT_KEY = 'microseg:paint';
/** The text this page last read or wrote: the same decisions again are not written again. */
let storedText: string | null | undefined;

export interface Snapshot {
  v: 1;
  /** slot → campaign, content key, content tree, last local date it runs ("YYYY-MM-DD") */
  s: Record<string, { c: string; k: string; n: Tree; e?: string }>;
  /** suppressed offer names ("*" = all) */
  o: string[];
}

export function readSnapshot(): Snapshot | undefined {
  try {
    storedText = localStorage.getItem(SNAPSHOT_KEY);
    const s = JSON.parse(storedText ?? 'null') as Snapshot | null;
    return s && s.v === 1 && s.s && typeof s.s === 'object' && Array.isArray(s.o) ? s : undefined;
  } catch {
    return undefined; // storage disabled, or a foreign value
  }
}

/** Keeps the snapshot for the next page (a write to localStorage only when it changed). */
export function writeSnapshot(snap: Snapshot): void {
  const text = plainJson(snap);
  if (text === storedText) return;
  try {
    localStorage.setItem(SNAPSHOT_KEY, text);
    storedText = text;
  } catch {
    /* storage full or disabled: the next visit paints the default first */
  }
}

/** forget(): no snapshot is left. */
export function removeSnapshot(): void {
  storedText = undefined;
  try {
    localStorage.removeItem(SNAPSHOT_KEY);
  } catch {
    /* nothing stored */
  }
}

/** The snapshot's view of a slot; undefined leaves the slot as it is. */
export function snapshotView(snap: Snapshot | undefined, name: string): View | undefined {
  const e = snap?.s[name];
  if (!e || !Array.isArray(e.n)) return undefined;
  const d = new Date();
  const today = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return e.e && e.e < today ? undefined : { key: e.k, state: 'personalized', campaign: e.c, tree: e.n };
}

/** The page's CSP nonce, so that a style we add is allowed under a nonce-based policy. */
export function pageNonce(doc: Document): string {
  return runningScript(doc)?.nonce || querySelector<HTMLScriptElement>(doc, 'script[nonce]')?.nonce || '';
}

/**
 * Hides suppressed offers from the first frame with one style rule (no element is touched, so
 * the SDK's offer watcher later sees the page as it was). Returns the undo. A constructed sheet
 * first: CSP does not treat it as an inline style, so it works under `style-src 'self'` even when
 * the page's nonce is for scripts only; a `<style>` with the nonce where sheets cannot be adopted.
 */
export function hideOffers(doc: Document, offers: string[], nonce: string): () => void {
  if (!offers.length) return () => {};
  const rule = `${offers.map((o) => (o === '*' ? '[data-microseg-offer]' : `[data-microseg-offer="${CSS.escape(o)}"]`)).join(',')}{display:none!important}`;
  if (typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(rule);
    const remove = adoptSheet(doc, sheet);
    if (remove) return remove;
  }
  const style = createElement(doc, 'style');
  style.nonce = nonce;
  style.textContent = rule;
  pageHead(doc)?.appendChild(style);
  return () => style.remove();
}
