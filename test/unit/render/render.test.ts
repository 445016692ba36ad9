import { describe, expect, it, vi } from 'vitest';
import { build, fromDom, safeUrl, type Tree } from '../../../src/render/tree';
import { sanitizeHtml } from '../../../src/render/sanitize';
import { contentTree } from '../../../src/render/content';
import { createSlots, type View } from '../../../src/render/slots';
import { createMicroseg } from '../../../src/sdk/microseg';
import type { MicrosegConfig } from '../../../src';

const html = (tree: Tree) => {
  const div = document.createElement('div');
  build(document, tree, div);
  return div.innerHTML;
};
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('content trees', () => {
  it('builds elements and text, and drops what could run code', () => {
    expect(html([['p', { class: 'x' }, 'hi ', ['strong', 0, '<b>']]])).toBe('<p class="x">hi <strong>&lt;b&gt;</strong></p>');
    expect(html([['script', 0, 'alert(1)'], ['iframe', { src: '/' }], ['a', { href: 'java\tscript:alert(1)', onclick: 'x()' }, 'a']])).toBe('<a>a</a>');
    expect(html([['svg:svg', { viewBox: '0 0 1 1' }, ['svg:animate', { attributeName: 'href', values: 'javascript:alert(1)' }], ['svg:path', { d: 'M0 0' }]]])).toBe(
      '<svg viewBox="0 0 1 1"><path d="M0 0"></path></svg>',
    );
    expect(html([['img', { src: 'data:text/html,x', style: 'x', alt: 'a' }]])).toBe('<img alt="a">');
  });

  it('accepts relative, http(s), mailto and tel URLs only', () => {
    for (const ok of ['/a', 'b?c', 'https://x', 'mailto:a@b', 'tel:1', '#x']) expect(safeUrl(ok)).toBe(true);
    for (const bad of ['javascript:1', ' JaVa\nScRiPt:1', 'data:text/html,1', 'vbscript:1', '\u0000javascript:1']) expect(safeUrl(bad)).toBe(false);
  });

  it('fills templates with text and attributes, never markup', () => {
    const t = document.createElement('template');
    t.innerHTML = '<div class="c"><h1 data-microseg-text="title">Default</h1><a href="/d" data-microseg-attr="href:url; title:title">go</a></div>';
    const tree = fromDom(t.content.childNodes, { title: '<img src=x onerror=alert(1)>{{constructor.constructor("alert(1)")()}}', url: 'javascript:alert(1)' });
    const div = document.createElement('div');
    build(document, tree, div);
    expect(div.querySelector('h1')!.textContent).toBe('<img src=x onerror=alert(1)>{{constructor.constructor("alert(1)")()}}');
    expect(div.querySelector('a')!.getAttribute('href')).toBe('/d'); // the rejected URL keeps the template's own
    expect(div.querySelector('img')).toBeNull();
  });

  it('sanitizes config HTML to harmless markup', () => {
    const tree = sanitizeHtml(
      '<p onclick="x()">Hi <span id="cookie" style="color:red">s</span><strong>there</strong><script>alert(1)</script><img src=x onerror=alert(1)>' +
        '<a href="javascript:alert(1)" target="_blank">l</a><svg><script>alert(1)</script></svg><math><mtext><style><img src=x onerror=alert(1)></style></mtext></math>' +
        '</p><form action="/x"><input autofocus onfocus=alert(1)></form>',
    );
    expect(html(tree)).toBe('<p>Hi <span>s</span><strong>there</strong><img src="x"><a target="_blank" rel="noopener noreferrer">l</a></p>');
  });

  it('renders config text, image and attributes', () => {
    expect(html(contentTree(document, { text: 'Free shipping', attributes: { href: '/cart', onmouseover: 'x' } })!)).toBe('<p><a href="/cart">Free shipping</a></p>');
    expect(html(contentTree(document, { text: 'Hi', image: { src: '/i.png', alt: 'i' } })!)).toBe('<p><img src="/i.png" alt="i">Hi</p>');
    expect(contentTree(document, { template: 'nowhere' })).toBeUndefined();
  });
});

describe('slots', () => {
  const personal = (text: string): View => ({ key: text, state: 'personalized', campaign: 'c', tree: [['b', 0, text]] });

  it('swaps content in and gives the default back', async () => {
    document.body.innerHTML = '<div data-microseg-slot="hero"><i>default</i></div>';
    let v: View = personal('one');
    const slots = createSlots(document, () => v, { error: (e) => { throw e; } });
    const el = document.querySelector('[data-microseg-slot]')!;
    expect(el.innerHTML).toBe('<b>one</b>');
    expect(el.getAttribute('data-microseg-state')).toBe('personalized');
    expect(el.getAttribute('data-microseg-campaign')).toBe('c');
    v = { key: '', state: 'default' };
    slots.render();
    expect(el.innerHTML).toBe('<i>default</i>');
    expect(el.hasAttribute('data-microseg-campaign')).toBe(false);
    v = personal('two');
    slots.render();
    slots.stop();
    expect(el.innerHTML).toBe('<i>default</i>');
  });

  it('fills slots added later, moves late default content aside, and re-applies after a re-render', async () => {
    document.body.innerHTML = '';
    const slots = createSlots(document, () => personal('p'), { error: (e) => { throw e; } });
    const el = document.createElement('section');
    el.setAttribute('data-microseg-slot', 'recs');
    el.innerHTML = '<i>d1</i>';
    document.body.append(el);
    await tick();
    expect(el.innerHTML).toBe('<b>p</b>');
    el.append(document.createElement('u')); // the parser still filling the slot
    await tick();
    expect(el.innerHTML).toBe('<b>p</b>');
    el.innerHTML = '<i>framework</i>';
    await tick();
    expect(el.innerHTML).toBe('<b>p</b>');
    slots.stop();
    expect(el.innerHTML).toBe('<i>framework</i>');
  });

  it('stands back from a script that fights it, and says so once', async () => {
    document.body.innerHTML = '<div data-microseg-slot="hero">d</div>';
    const fight = vi.fn();
    const slots = createSlots(document, () => personal('p'), { fight, error: (e) => { throw e; } });
    const el = document.querySelector('[data-microseg-slot]')!;
    // A framework that puts its content back whenever ours appears.
    const enemy = new MutationObserver(() => {
      if (el.textContent !== 'mine') el.textContent = 'mine';
    });
    enemy.observe(el, { childList: true });
    el.textContent = 'mine';
    for (let i = 0; i < 30; i++) await tick();
    enemy.disconnect();
    expect(fight).toHaveBeenCalledTimes(1);
    expect(el.getAttribute('data-microseg-state')).toBe('default');
    slots.stop();
  });
  it('stands back for its backoff in elapsed time: a device clock set back meanwhile does not keep the slot on the default', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 23, 12) });
    try {
      document.body.innerHTML = '<div data-microseg-slot="hero">d</div>';
      const slots = createSlots(document, () => personal('p'), { fight: () => {}, error: (e) => { throw e; } });
      const el = document.querySelector('[data-microseg-slot]')!;
      const enemy = new MutationObserver(() => {
        if (el.textContent !== 'mine') el.textContent = 'mine';
      });
      enemy.observe(el, { childList: true });
      el.textContent = 'mine';
      await vi.advanceTimersByTimeAsync(0);
      enemy.disconnect();
      expect(el.getAttribute('data-microseg-state')).toBe('default');
      vi.setSystemTime(Date.UTC(2026, 10, 23, 11)); // an hour back
      await vi.advanceTimersByTimeAsync(2000); // past the backoff (1 s): the slot is ours again
      expect(el.getAttribute('data-microseg-state')).toBe('personalized');
      el.textContent = 'framework'; // one re-render later is not a fight: re-applied at once
      await vi.advanceTimersByTimeAsync(0);
      expect(el.getAttribute('data-microseg-state')).toBe('personalized');
      expect(el.innerHTML).toBe('<b>p</b>');
      slots.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the SDK renders decisions', () => {
  const config: MicrosegConfig = {
    schema: 1,
    version: 't1',
    segments: [{ id: 'everyone', fallback: true }],
    campaigns: [{ id: 'hello', slot: 'hero', segments: ['everyone'], content: { template: 'hi', data: { name: 'Ada' } } }],
  };

  it('fills the slot, records the exposure and keeps a snapshot for the next page', async () => {
    document.body.innerHTML =
      '<div data-microseg-slot="hero"><p>default</p></div><template data-microseg-template="hi"><p>Hello <b data-microseg-text="name">you</b></p></template>';
    const ms = createMicroseg({ config, autoPage: false });
    const exposures: unknown[] = [];
    ms.on('track', (e) => e.type === '$exposure' && exposures.push(e.props));
    await ms.ready;
    await tick();
    const el = document.querySelector('[data-microseg-slot]')!;
    expect(el.innerHTML).toBe('<p>Hello <b data-microseg-text="name">Ada</b></p>');
    expect(el.getAttribute('data-microseg-state')).toBe('personalized');
    expect(exposures).toEqual([{ campaign: 'hello', slot: 'hero', control: false }]);
    await tick();
    const snap = JSON.parse(localStorage.getItem('microseg:paint')!);
    expect(snap.s.hero.c).toBe('hello');
    ms.destroy();
    expect(el.innerHTML).toBe('<p>default</p>');
  });

  it('does not write the snapshot again when the next page decides the same', async () => {
    const page = '<div data-microseg-slot="hero"><p>default</p></div><template data-microseg-template="hi"><p>Hello <b data-microseg-text="name">you</b></p></template>';
    document.body.innerHTML = page;
    const first = createMicroseg({ config, autoPage: false });
    await first.ready;
    await tick();
    first.destroy();
    const written = localStorage.getItem('microseg:paint');
    expect(written).not.toBeNull();
    document.body.innerHTML = page;
    const setItem = vi.spyOn(localStorage, 'setItem');
    try {
      const next = createMicroseg({ config, autoPage: false });
      await next.ready;
      await tick();
      await tick();
      expect(document.querySelector('[data-microseg-slot]')!.getAttribute('data-microseg-state')).toBe('personalized');
      expect(setItem.mock.calls.filter(([key]) => key === 'microseg:paint')).toEqual([]);
      expect(localStorage.getItem('microseg:paint')).toBe(written);
      next.destroy();
    } finally {
      setItem.mockRestore();
    }
  });

  it('writes no snapshot without consent', async () => {
    document.body.innerHTML = '<div data-microseg-slot="hero">d</div><template data-microseg-template="hi"><p>x</p></template>';
    const ms = createMicroseg({ config, autoPage: false, consent: 'pending' });
    await ms.ready;
    await tick();
    expect(document.querySelector('[data-microseg-slot]')!.textContent).toBe('x');
    expect(localStorage.getItem('microseg:paint')).toBeNull();
    ms.destroy();
  });
});

describe('the SDK before it is ready', () => {
  it('paints the snapshot at once, then reconciles with the live decision', async () => {
    localStorage.setItem(
      'microseg:paint',
      JSON.stringify({ v: 1, s: { hero: { c: 'old', k: 'old:1', n: [['p', 0, 'from the snapshot']] }, gone: { c: 'x', k: 'x', n: ['y'], e: '2000-01-01' } }, o: ['sale'] }),
    );
    document.body.innerHTML =
      '<div data-microseg-slot="hero"><p>default</p></div><div data-microseg-slot="gone">kept</div><p data-microseg-offer="sale">sale</p>' +
      '<template data-microseg-template="hi"><p>live</p></template>';
    const ms = createMicroseg({
      config: { schema: 1, version: 't2', segments: [{ id: 'everyone', fallback: true }], campaigns: [{ id: 'hello', slot: 'hero', segments: ['everyone'], content: { template: 'hi' } }] },
      autoPage: false,
    });
    const hero = document.querySelector('[data-microseg-slot=hero]')!;
    // Synchronously, before any storage or config: the snapshot's content and hidden offers.
    expect(hero.textContent).toBe('from the snapshot');
    expect(hero.getAttribute('data-microseg-campaign')).toBe('old');
    expect(document.querySelector('[data-microseg-slot=gone]')!.textContent).toBe('kept'); // its campaign ended
    expect(document.querySelectorAll('style').length + document.adoptedStyleSheets.length).toBe(1);
    await ms.ready;
    await tick();
    expect(hero.textContent).toBe('live');
    expect(hero.getAttribute('data-microseg-campaign')).toBe('hello');
    expect(document.querySelectorAll('style').length + document.adoptedStyleSheets.length).toBe(0); // the live suppressions took over
    ms.destroy();
    expect(hero.innerHTML).toBe('<p>default</p>');
  });

  it('says once when a campaign names a template the page lacks, and keeps the default', async () => {
    document.body.innerHTML = '<div data-microseg-slot="hero">d</div>';
    const ms = createMicroseg({
      config: { schema: 1, version: 't3', segments: [{ id: 'everyone', fallback: true }], campaigns: [{ id: 'c', slot: 'hero', segments: ['everyone'], content: { template: 'nope' } }] },
      autoPage: false,
    });
    const errors: string[] = [];
    ms.on('error', (e) => errors.push(e.code));
    await ms.ready;
    await tick();
    ms.render();
    expect(document.querySelector('[data-microseg-slot=hero]')!.getAttribute('data-microseg-state')).toBe('default');
    expect(errors).toEqual(['render']);
    ms.destroy();
  });
});
