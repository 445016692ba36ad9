// The preview overlay: a panel in a shadow root (the page's CSS cannot reach it, its CSS cannot
// leak out) that shows the persona's segments with explain, slots with the chosen campaign and
// why, suppressed offers and labels, and lets the marketer toggle segments and labels and move
// the date. Built with createElement only (Trusted Types), native controls (keyboard-usable).
import type { ClauseResult } from '../engine';
import { evaluatePersona, type PersonaResult } from './persona';
import type { Persona, PreviewBridge, PreviewSession } from './types';
import { createElement, listen, nodeFactory, queryAll, querySelector } from '../shared/page';

const STYLE = `
:host { all: initial; }
.panel { position: fixed; top: 12px; right: 12px; bottom: 12px; width: 380px; max-width: calc(100vw - 24px); z-index: 2147483647;
  box-sizing: border-box; overflow: auto; background: #fff; color: #1b1b1f; border: 1px solid #c9c9d1; border-radius: 10px;
  box-shadow: 0 8px 30px rgba(0,0,0,.18); font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
.panel.min { bottom: auto; width: auto; }
header { position: sticky; top: 0; display: flex; gap: 8px; align-items: center; padding: 10px 12px; background: #1b1b1f; color: #fff; }
header strong { flex: 1; font-size: 14px; }
section { padding: 10px 12px; border-top: 1px solid #e6e6ea; }
h3 { margin: 0 0 6px; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #55555f; }
button { font: inherit; cursor: pointer; border: 1px solid #b8b8c2; background: #f6f6f8; color: inherit; border-radius: 6px; padding: 2px 8px; }
header button { background: #33333a; color: #fff; border-color: #55555f; }
button:focus-visible, input:focus-visible, .row:focus-visible, summary:focus-visible { outline: 2px solid #2f6fed; outline-offset: 1px; }
input[type=date] { font: inherit; padding: 2px 4px; }
ul { list-style: none; margin: 0; padding: 0; }
li { margin: 0 0 6px; }
.row { display: block; padding: 4px 6px; border-radius: 6px; }
.row:hover, .row:focus { background: #eef3ff; }
.name { font-weight: 600; word-break: break-word; }
.muted { color: #66666f; }
.tag { display: inline-block; margin-left: 4px; padding: 0 5px; border-radius: 4px; font-size: 11px; background: #e8e8ee; color: #33333a; }
.tag.in { background: #dff3e4; color: #135e2a; }
.tag.forced { background: #fff0cc; color: #6b4a00; }
.tag.off { background: #fde2e2; color: #8a1c1c; }
label.check { display: flex; gap: 6px; align-items: baseline; }
details { margin: 2px 0 0 22px; }
summary { cursor: pointer; color: #44444c; }
.clause ul { padding-left: 14px; }
.clause { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-word; }
.pass { color: #135e2a; } .fail { color: #8a1c1c; }
.hl { position: fixed; z-index: 2147483646; pointer-events: none; border: 2px solid #2f6fed; background: rgba(47,111,237,.12); border-radius: 4px; }
`;

type Child = Node | string | null | undefined | false;

function h(tag: string, attrs: Record<string, string | boolean | ((e: Event) => void)> = {}, ...children: Child[]): HTMLElement {
  const el = nodeFactory(document).element(tag) as HTMLElement;
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k, v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

const show = (v: unknown) => (v === undefined ? 'missing' : typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(3))) : JSON.stringify(v));

function clauseList(clauses: ClauseResult[]): HTMLElement {
  return h('ul', {}, ...clauses.map((c) =>
    h('li', { class: `clause ${c.pass ? 'pass' : 'fail'}` },
      `${c.pass ? '✓' : '✗'} ${c.path ? `${c.path} ${c.operator} ${show(c.expected)} — seen ${show(c.actual)}` : c.operator}`,
      c.clauses?.length ? clauseList(c.clauses) : null)));
}

/** The panel's host element and its shadow root, styled without inline CSS where the browser allows it. */
function createShadowHost(): { host: HTMLElement; root: ShadowRoot } {
  const host = createElement(document, 'div') as HTMLElement;
  host.setAttribute('data-microseg-preview', '');
  const root = host.attachShadow({ mode: 'open' });
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE); // a constructed sheet needs no 'unsafe-inline' under a strict CSP
    root.adoptedStyleSheets = [sheet];
  } else root.append(h('style', {}, STYLE));
  return { host, root };
}

type SlotDecision = ReturnType<PersonaResult['decide']>;

/** Why the slot shows what it shows, in one line. */
function slotWhy(d: SlotDecision, inHoldout: boolean): string {
  if (!d.campaign) return 'no campaign: default content';
  return `for segment ${d.reason.segment} · priority ${d.reason.priority}${inHoldout ? ' · this visitor would be in its hold-out group (default content)' : ''}`;
}

/** The campaigns of the slot that lost to a suppression, an exclusion or a cap. */
function slotNotes(d: SlotDecision): string[] {
  return [
    d.reason.suppressedBy && `${d.reason.suppressedBy.campaign} suppressed by ${d.reason.suppressedBy.suppression}`,
    d.reason.excludedBy && `${d.reason.excludedBy.campaign} excluded: duration period of ${d.reason.excludedBy.by}`,
    d.reason.capped && `${d.reason.capped.campaign} capped (${d.reason.capped.cap} ${d.reason.capped.limit})`,
  ].filter(Boolean) as string[];
}

export function mountPreview(bridge: PreviewBridge): PreviewSession {
  let persona: Persona = { ...bridge.persona };
  let result: PersonaResult | undefined;
  let minimized = false;
  const open = new Set<string>(); // <details> the marketer opened, kept across re-renders

  const { host, root } = createShadowHost();
  const panel = h('div', { class: 'panel', role: 'dialog', 'aria-label': 'microseg preview' });
  const boxes = h('div');
  root.append(panel, boxes);
  querySelector(document, ':root')?.append(host);

  /** Outlines the page's elements (slot or offer) while its row is hovered or focused. */
  function highlight(selector: string | undefined): void {
    boxes.replaceChildren();
    if (!selector) return;
    for (const el of queryAll(document, selector)) {
      const r = el.getBoundingClientRect();
      if (!r.width && !r.height) continue;
      boxes.append(h('div', { class: 'hl', style: `top:${r.top - 3}px;left:${r.left - 3}px;width:${r.width + 2}px;height:${r.height + 2}px` }));
    }
  }
  const hover = (selector: string) => ({
    tabindex: '0',
    class: 'row',
    mouseenter: () => highlight(selector),
    mouseleave: () => highlight(undefined),
    focus: () => highlight(selector),
    blur: () => highlight(undefined),
  });

  function set(next: Persona): void {
    persona = next;
    compute();
  }

  function compute(): void {
    const config = bridge.config();
    result = config
      ? evaluatePersona({ config, persona, now: bridge.now(), state: bridge.engineState(), history: bridge.history(), visitor: bridge.visitor(), visit: bridge.visit() })
      : undefined;
    bridge.show(result?.view);
    draw();
  }

  function details(key: string, summary: string, body: Node): HTMLElement {
    const d = h('details', { 'data-key': key, open: open.has(key) }, h('summary', {}, summary), body);
    d.addEventListener('toggle', () => ((d as HTMLDetailsElement).open ? open.add(key) : open.delete(key)));
    return d;
  }

  function draw(): void {
    const focused = (root.activeElement as HTMLElement | null)?.getAttribute('data-key');
    highlight(undefined);
    const header = h('header', {},
      h('strong', {}, 'microseg preview'),
      h('button', { type: 'button', 'data-key': 'min', 'aria-expanded': String(!minimized), click: () => ((minimized = !minimized), draw()) }, minimized ? 'Show' : 'Hide'),
      h('button', { type: 'button', 'data-key': 'leave', click: () => bridge.leave() }, 'Leave preview'));
    panel.className = minimized ? 'panel min' : 'panel';
    if (minimized || !result) {
      panel.replaceChildren(header, minimized ? '' : h('section', {}, 'Waiting for the configuration…'));
      restore(focused);
      return;
    }
    const r = result;
    const config = bridge.config()!;

    const date = h('input', { type: 'date', value: r.date, 'data-key': 'date', 'aria-label': 'Preview date' }) as HTMLInputElement;
    date.addEventListener('change', () => date.value && set({ ...persona, date: date.value }));
    const when = h('section', {}, h('h3', {}, 'Date'),
      h('label', {}, date, ' '),
      h('button', { type: 'button', 'data-key': 'today', click: () => set({ ...persona, date: undefined }) }, 'Today'));

    const pageSlots = queryAll(document, '[data-microseg-slot]').map((el) => el.getAttribute('data-microseg-slot')!);
    const slotNames = [...new Set([...pageSlots, ...(config.campaigns ?? []).map((c) => c.slot)])];
    const slots = h('section', {}, h('h3', {}, 'Slots'), h('ul', {}, ...slotNames.map((slot) => {
      const d = r.decide(slot);
      const why = slotWhy(d, r.holdout.has(slot));
      const notes = slotNotes(d);
      return h('li', { 'data-slot': slot, 'data-campaign': d.campaign ?? '' },
        h('div', { ...hover(`[data-microseg-slot="${cssEscape(slot)}"]`), 'data-key': `slot:${slot}` },
          h('span', { class: 'name' }, slot), pageSlots.includes(slot) ? '' : h('span', { class: 'tag' }, 'not on this page'),
          h('div', {}, d.campaign ? h('span', { class: 'name' }, d.campaign) : '', ' ', h('span', { class: 'muted' }, why)),
          ...notes.map((n) => h('div', { class: 'muted' }, n))),
        d.reason.considered.length
          ? details(`why:${slot}`, 'Every campaign of the slot', h('ul', {}, ...d.reason.considered.map((c) => h('li', { class: 'clause' }, `${c.campaign} (${c.priority}): ${c.outcome}`))))
          : null);
    })));

    const offerNames = [...new Set(queryAll(document, '[data-microseg-offer]').map((el) => el.getAttribute('data-microseg-offer')!))];
    const hidden = r.view.offers();
    const offers = h('section', {}, h('h3', {}, 'Offers'), offerNames.length ? h('ul', {}, ...offerNames.map((name) => {
      const off = hidden.includes('*') || hidden.includes(name);
      const by = r.suppressions.filter((s) => s.offers === '*' || (Array.isArray(s.offers) && s.offers.includes(name))).map((s) => s.id);
      return h('li', { 'data-offer': name, 'data-suppressed': String(off) },
        h('div', { ...hover(`[data-microseg-offer="${cssEscape(name)}"]`), 'data-key': `offer:${name}` },
          h('span', { class: 'name' }, name), h('span', { class: off ? 'tag off' : 'tag in' }, off ? `suppressed by ${by.join(', ')}` : 'shown')));
    })) : h('p', { class: 'muted' }, 'No offers on this page.'));

    const segments = h('section', {}, h('h3', {}, 'Segments'),
      persona.segments ? h('p', {}, h('button', { type: 'button', 'data-key': 'rules', click: () => set({ ...persona, segments: undefined }) }, 'Back to the rules')) : '',
      h('ul', {}, ...config.segments.map((s) => {
        const e = r.explain(s.id);
        const box = h('input', { type: 'checkbox', checked: e.member, 'data-key': `seg:${s.id}` }) as HTMLInputElement;
        box.addEventListener('change', () => {
          const next = box.checked ? [...r.segments, s.id] : r.segments.filter((x) => x !== s.id);
          set({ ...persona, segments: next });
        });
        return h('li', { 'data-segment': s.id, 'data-member': String(e.member) },
          h('label', { class: 'check' }, box, h('span', {}, h('span', { class: 'name' }, s.name ?? s.id), s.name ? h('span', { class: 'muted' }, ` ${s.id}`) : '',
            e.member ? h('span', { class: 'tag in' }, 'in') : '', e.forced ? h('span', { class: 'tag forced' }, 'forced') : '')),
          details(`explain:${s.id}`, 'Explain', e.fallback ? h('p', { class: 'muted' }, `Fallback: ${e.reason}`) : clauseList(e.clauses)));
      })));

    const labels = h('section', {}, h('h3', {}, 'Labels'), r.labelNames.length ? h('ul', {}, ...r.labelNames.map((name) => {
      const l = r.ctx.labels[name];
      const box = h('input', { type: 'checkbox', checked: !!l, 'data-key': `label:${name}` }) as HTMLInputElement;
      box.addEventListener('change', () => set({ ...persona, labels: { ...persona.labels, [name]: box.checked ? { ageDays: 0, channel: 'web' } : false } }));
      const by = r.impliedLabels.get(name);
      return h('li', { 'data-label': name, ...(by ? { 'data-implied-by': by } : {}) },
        h('label', { class: 'check' }, box, h('span', {}, h('span', { class: 'name' }, name), l ? h('span', { class: 'muted' }, ` set ${l.ageDays} days ago on ${l.channel}${l.value !== undefined ? ` · ${show(l.value)}` : ''}${by ? ` · implied by ${by}` : ''}`) : h('span', { class: 'muted' }, ' not set'))));
    })) : h('p', { class: 'muted' }, 'No labels.'), ...r.unmetLabels.map((why) => h('p', { class: 'muted', 'data-unmet-labels': '' }, why)));

    panel.replaceChildren(header, when, slots, offers, segments, labels);
    restore(focused);
  }

  function restore(key: string | null | undefined): void {
    if (key) (root.querySelector(`[data-key="${cssEscape(key)}"]`) as HTMLElement | null)?.focus();
  }

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !minimized && e.composedPath().includes(host)) ((minimized = true), draw());
  };
  const offKey = listen(document, 'keydown', onKey as (e: Event) => void);
  const offConfig = bridge.onConfig(() => compute());
  compute();

  return {
    update(next) {
      set({ ...next });
    },
    destroy() {
      offKey();
      offConfig();
      host.remove();
      bridge.show(undefined);
    },
  };
}

function cssEscape(s: string): string {
  return typeof CSS !== 'undefined' && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, '\\$&');
}
