// @vitest-environment node
// microseg/react on the server: nothing is created or fetched, slots render their default or the
// server's handed-over content, and content is built through the renderer's filters.
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { MicrosegProvider, Slot } from '../../../src/react';
import { toReact } from '../../../src/react/tree';
import { evaluate } from '../../../src/server';
import { defineConfig } from '../../../src';

const config = defineConfig({
  schema: 1,
  version: 'r1',
  segments: [{ id: 'from-email', when: { 'profile.channel': 'email' } }, { id: 'everyone', fallback: true }],
  campaigns: [
    { id: 'mail', slot: 'hero', segments: ['from-email'], content: { text: 'Hi from mail', attributes: { class: 'mail', href: '/offer' } } },
    { id: 'tpl', slot: 'side', segments: ['from-email'], content: { template: 'side', data: { x: 1 } } },
  ],
});

const page = (handover?: ReturnType<typeof evaluate>['handover']) =>
  renderToString(
    createElement(MicrosegProvider, { options: { configUrl: '/never-fetched.json' }, handover },
      createElement(Slot, { name: 'hero', as: 'section' }, createElement('h1', null, 'Default')),
      createElement(Slot, { name: 'side' }, 'Side default')),
  );

describe('microseg/react on the server', () => {
  it('renders the default content, marked as a slot the binding owns', () => {
    const html = page();
    expect(html).toContain('<section data-microseg-slot="hero" data-microseg-owner="react" data-microseg-state="default"><h1>Default</h1></section>');
  });

  it('renders handed-over content that needs no page; template content waits for the page', () => {
    const html = page(evaluate(config, { url: 'https://shop.example/?utm_medium=email' }).handover);
    expect(html).toContain('data-microseg-campaign="mail"');
    expect(html).toContain('<p><a class="mail" href="/offer">Hi from mail</a></p>');
    expect(html).toContain('Side default');
  });

  it('builds content through the same filters as the DOM renderer', () => {
    const html = renderToString(createElement('div', null, ...toReact([
      ['script', 0, 'alert(1)'],
      ['a', { href: 'javascript:alert(1)', onclick: 'alert(1)', class: 'c', style: 'x' }, 'link'],
      ['img', { src: 'https://cdn.example/a.png', alt: 'a', srcset: 'x' }],
      ['svg:svg', { viewBox: '0 0 1 1' }, ['svg:foreignObject', 0, 'no'], ['svg:circle', { r: '1' }]],
      '<b>text stays text</b>',
    ]))).replace(/^<link rel="preload"[^>]*>/, ''); // React 19's own preload hint for the image
    expect(html).toBe('<div><a class="c">link</a><img src="https://cdn.example/a.png" alt="a"/><svg viewBox="0 0 1 1"><circle r="1"></circle></svg>&lt;b&gt;text stays text&lt;/b&gt;</div>');
  });
});
