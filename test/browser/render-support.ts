// Pages for the rendering tests: a config served in the page, slots with default content, and an
// observer installed before any page script that records what each slot shows at every frame.
import { html, snippet } from './harness';

export const CONFIG = {
  schema: 1,
  version: 'render-1',
  segments: [{ id: 'everyone', fallback: true }],
  campaigns: [
    { id: 'hero-hello', slot: 'hero', segments: ['everyone'], content: { template: 'hello', data: { name: 'returning friend', url: '/welcome' } } },
    { id: 'late-note', slot: 'late', segments: ['everyone'], content: { text: 'PERSONAL late', attributes: { href: '/late' } } },
  ],
  suppressions: [{ id: 'no-sale', when: { segments: { $in: ['everyone'] } }, offers: ['sale'] }],
};

export const TEMPLATES = `<template data-microseg-template="hello"><div class="hello"><h1>PERSONAL <span data-microseg-text="name">you</span></h1><a href="/" data-microseg-attr="href:url">go</a></div></template>`;

/** Records every slot's text at every animation frame (what is about to be painted) and after every mutation. */
export const FRAME_RECORDER = `(() => {
  const frames = (window.__frames = []);
  const mutations = (window.__mutations = []);
  const violations = (window.__violations = []);
  document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));
  const look = (list) => {
    const t = performance.now();
    document.querySelectorAll('[data-microseg-slot], [data-microseg-offer]').forEach((el) => {
      const name = el.getAttribute('data-microseg-slot') || 'offer:' + el.getAttribute('data-microseg-offer');
      list.push({ t, name, text: el.textContent.trim(), visible: el.getClientRects().length > 0 });
    });
  };
  const frame = () => { look(frames); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  // Observers run in order of creation, this one first: looking a microtask later sees the DOM
  // as every observer (microseg's too) left it, which is what the next frame can paint.
  new MutationObserver(() => queueMicrotask(() => look(mutations))).observe(document, { childList: true, subtree: true, characterData: true });
})();`;

export interface FrameRecord { t: number; name: string; text: string; visible: boolean }

/** A page with the first-paint script and the snippet in <head>, the slot's body streamed slowly. */
export function shopHead(opts: { nonce?: string; config?: unknown } = {}): string {
  const n = opts.nonce ? ` nonce="${opts.nonce}"` : '';
  return `<script${n} src="/microseg.paint.js"></script>
<script${n}>${snippet()}
microseg.init(${JSON.stringify({ config: opts.config ?? CONFIG, autoPage: false })});</script>`;
}

export { html };
