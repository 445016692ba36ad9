// Hostile content executes nothing: config HTML full of script tags, event handlers, javascript:
// URLs, SVG and MathML tricks; template data full of markup and template-injection strings;
// hostile attributes; and a tampered first-paint snapshot. A global canary must stay unset, no
// dialog may open, no error may reach the page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, snippet, startServer, watchedPage, type TestServer } from './harness';

let browser: Browser;
let server: TestServer;

const P = (n: number) => `window.__pwned=${n};alert(${n})`;
const HTML = [
  `<script>${P(1)}</script>`,
  `<img src=x onerror="${P(2)}">`,
  `<svg onload="${P(3)}"><script>${P(3)}</script></svg>`,
  `<svg><animate onbegin="${P(4)}" attributeName="x" dur="1s"/></svg>`,
  `<svg><a><animate attributeName="href" values="javascript:${P(5)}"/><text x="20" y="20">click</text></a></svg>`,
  `<math><mtext><table><mglyph><style><img src=x onerror="${P(6)}"></style></mglyph></table></mtext></math>`,
  `<iframe srcdoc="<script>parent.${P(7)}</script>"></iframe>`,
  `<a href="javascript:${P(8)}">a</a><a href=" JaVa&#x09;ScRiPt:${P(8)}">b</a><a href="&#106;avascript:${P(8)}">c</a>`,
  `<form action="javascript:${P(9)}"><button>go</button></form><button formaction="javascript:${P(9)}">go</button>`,
  `<details open ontoggle="${P(10)}"><summary>s</summary></details>`,
  `<object data="javascript:${P(11)}"></object><embed src="javascript:${P(11)}">`,
  `<meta http-equiv="refresh" content="0;url=javascript:${P(12)}"><base href="javascript:/">`,
  `<noscript><p title="</noscript><img src=x onerror=${P(14)}>"></noscript>`,
  `<style>@import 'javascript:${P(15)}';</style><input autofocus onfocus="${P(16)}">`,
  `<a href="data:text/html,<script>${P(17)}</script>">d</a><img src="javascript:${P(18)}">`,
  `<template><img src=x onerror="${P(19)}"></template><xmp><img src=x onerror=${P(20)}></xmp>`,
  `<div style="background:url(javascript:${P(21)})" onmouseover="${P(21)}">hover</div><a href="vbscript:msgbox(1)">v</a>`,
];
const DATA = [
  { text: `{{constructor.constructor('${P(30)}')()}}`, url: `javascript:${P(34)}` },
  { text: '${' + P(31) + '}', url: ` java\nscript:${P(35)}` },
  { text: `<%= ${P(32)} %>`, url: 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==' },
  { text: `<img src=x onerror="${P(33)}"><script>${P(33)}</script>`, url: '#ok' },
];

const CONFIG = {
  schema: 1,
  version: 'hostile-1',
  segments: [{ id: 'everyone', fallback: true }],
  campaigns: [
    ...HTML.map((html, i) => ({ id: `h${i}`, slot: `h${i}`, segments: ['everyone'], content: { html } })),
    ...DATA.map((data, i) => ({ id: `d${i}`, slot: `d${i}`, segments: ['everyone'], content: { template: 'hostile', data, image: { src: `javascript:${P(36)}` } } })),
    { id: 'attrs', slot: 'attrs', segments: ['everyone'], content: { text: 'attrs', attributes: { href: `javascript:${P(40)}`, onclick: P(41), style: 'x', srcdoc: `<script>${P(42)}</script>`, title: 'ok' } } },
    { id: 'img', slot: 'img', segments: ['everyone'], content: { image: { src: `javascript:${P(43)}`, alt: '" onerror="' + P(44) } } },
  ],
};
const SLOTS = CONFIG.campaigns.map((c) => c.slot);

const page = () => `<!doctype html><html><head><meta charset="utf-8"><title>hostile</title>
<script src="/microseg.paint.js"></script>
<script>${snippet()}
microseg.init(${JSON.stringify({ config: CONFIG, autoPage: false }).replace(/</g, '\\u003c')});</script>
</head><body>
${SLOTS.map((s) => `<div data-microseg-slot="${s}">DEFAULT</div>`).join('\n')}
<template data-microseg-template="hostile"><div><p data-microseg-text="text">t</p><a href="#default" data-microseg-attr="href:url">link</a><img data-microseg-image alt=""></div></template>
</body></html>`;

beforeAll(async () => {
  browser = await launch();
  server = await startServer({ '/hostile': page });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function check(p: Page, dialogs: string[], errors: string[]): Promise<void> {
  // Click everything clickable inside the slots, hover, then give handlers time to fire.
  const targets = p.locator('[data-microseg-slot] a, [data-microseg-slot] button, [data-microseg-slot] text, [data-microseg-slot] div');
  for (let i = 0; i < (await targets.count()); i++) await targets.nth(i).click({ force: true, timeout: 2000 }).catch(() => {});
  await p.waitForTimeout(300);
  expect(await p.evaluate(() => (window as any).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
  const bad = await p.evaluate(() =>
    [...document.querySelectorAll('[data-microseg-slot] *')]
      .filter(
        (el) =>
          /^(script|iframe|object|embed|style|meta|base|form|input|button|math|template|noscript|animate|set|xmp)$/i.test(el.localName) ||
          [...el.attributes].some((a) => /^(on|style$|srcdoc$|formaction$)/i.test(a.name) || /^(javascript|vbscript|data):/i.test(a.value.replace(/[\s\u0000-\u001f]/g, ''))),
      )
      .map((el) => el.outerHTML),
  );
  expect(bad).toEqual([]);
}

describe('hostile content', () => {
  it('config HTML, template data and attributes execute nothing, and the slots still render', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    const dialogs: string[] = [];
    w.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await w.page.goto(server.url + '/hostile');
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.waitForFunction((n) => document.querySelectorAll('[data-microseg-state=personalized]').length === n, SLOTS.length);
    await check(w.page, dialogs, w.errors);
    // Text stays text.
    expect(await w.page.locator('[data-microseg-slot=d0] p').textContent()).toBe(DATA[0]!.text);
    expect(await w.page.locator('[data-microseg-slot=d3] p').textContent()).toBe(DATA[3]!.text);
    expect(await w.page.locator('[data-microseg-slot=d3] a').getAttribute('href')).toBe('#ok');
    expect(await w.page.locator('[data-microseg-slot=d0] a').getAttribute('href')).toBe('#default');

    // The same content painted from the snapshot on the next page.
    await w.page.waitForFunction(() => localStorage.getItem('microseg:paint')?.includes('"h16"'));
    await w.page.reload();
    await w.page.evaluate(() => (window as any).microseg.ready);
    await check(w.page, dialogs, w.errors);
    await context.close();
  });

  it('a tampered first-paint snapshot executes nothing either', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    const dialogs: string[] = [];
    w.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const P2 = (n: number) => `window.__pwned=${n}`;
    const tree = [
      ['script', 0, P2(50)],
      ['img', { src: 'x', onerror: P2(51) }],
      ['a', { href: `javascript:${P2(52)}` }, 'x'],
      ['svg:svg', { onload: P2(53) }, ['svg:script', 0, P2(54)], ['svg:animate', { attributeName: 'href', values: `javascript:${P2(55)}` }]],
      ['iframe', { srcdoc: `<script>parent.${P2(56)}</script>` }],
      ['div', { style: 'x', 'on\u0000click': P2(57), 'x onclick': P2(58) }, 'hi'],
    ];
    await w.page.goto(server.url + '/hostile');
    await w.page.evaluate((t) => localStorage.setItem('microseg:paint', JSON.stringify({ v: 1, s: { h0: { c: 'h0', k: 'evil', n: t } }, o: ['x"]{}*{display:none}'] })), tree);
    await w.page.reload();
    await check(w.page, dialogs, w.errors);
    await context.close();
  });
});
