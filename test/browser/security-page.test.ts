// The host page and config content never turn microseg against the site (issue 12, items 1, 2,
// 6, 7), through the built bundle in real Chromium: markup that clobbers the SDK's globals and its
// script element, config content that would clobber them, a preview parameter nobody signed, and
// a page whose prototypes, dataLayer and CSP are hostile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { html, launch, snippet, startServer, storedEvents, watchedPage, type TestServer } from './harness';
import { FRAME_RECORDER, type FrameRecord } from './render-support';
import { generateKeys, type GeneratedKeys } from '../../src/config/keys';
import { signPreviewToken } from '../../src/preview/token';

let browser: Browser;
let server: TestServer;
let keys: GeneratedKeys;
/** Requests the server saw, by path. */
const seen: string[] = [];
const collected: unknown[] = [];

const GOOD = { schema: 1, version: 'good', segments: [{ id: 'everyone', fallback: true }] };
const EVIL = { schema: 1, version: 'evil', segments: [{ id: 'everyone', fallback: true }] };

/** Every element-based way to shadow a property of `document` (img/form/embed/object by name). */
const CLOBBER_SCRIPT = [
  `<img name="currentScript" src="/evil/x.png" data-config-url="/evil.json" data-collect-url="/evil-collect" data-labels-url="/evil-labels">`,
  `<form name="currentScript" data-config-url="/evil.json" data-collect-url="/evil-collect"></form>`,
  `<embed name="currentScript" src="/evil/x.js" type="text/plain" data-config-url="/evil.json" data-collect-url="/evil-collect">`,
  `<object name="currentScript" data="/evil/x.txt" data-config-url="/evil.json" data-collect-url="/evil-collect"></object>`,
];

/** Named elements that shadow the SDK's window globals before it defines them. */
const CLOBBER_GLOBALS = [
  `<a id="__microsegValidate" href="/evil/"></a>`,
  `<form id="__microsegValidate"><input name="call"></form>`,
  `<img name="__microsegValidate" src="/evil/x.png"><a id="__microsegPreview"></a><div id="__microsegPaint"></div><a id="__microsegExtras" href="/evil/"></a><a id="__microseg_extras" href="/evil/"></a><form name="__microseg_collect"></form>`,
  `<img name="createElement"><img name="head"><img name="querySelector"><a id="trustedTypes"></a>`,
];

beforeAll(async () => {
  browser = await launch();
  keys = await generateKeys();
  server = await startServer();
  server.app.use('*', async (c, next) => {
    seen.push(new URL(c.req.url).pathname);
    await next();
  });
  server.app.get('/good.json', (c) => c.json(GOOD));
  server.app.get('/evil.json', (c) => c.json(EVIL));
  server.app.get('/evil/:file', (c) => c.body('window.__pwned = 1;', 200, { 'content-type': 'text/javascript' }));
  server.app.post('/collect', async (c) => {
    collected.push(JSON.parse(await c.req.text()));
    return c.body(null, 204);
  });
  server.app.get('/favicon.ico', (c) => c.body(null, 204));
  server.app.get('/page', (c) => {
    const id = c.req.query('p') ?? '';
    for (const [k, v] of Object.entries(headers.get(id) ?? {})) c.header(k, v);
    return c.html(pages.get(id) ?? 'missing');
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const pages = new Map<string, string>();
const headers = new Map<string, Record<string, string>>();
/** Serves `doc` (with `withHeaders`) as a new page and returns its path. */
function serve(doc: string, withHeaders?: Record<string, string>): string {
  const id = String(pages.size);
  pages.set(id, doc);
  if (withHeaders) headers.set(id, withHeaders);
  return `/page?p=${id}`;
}

/** Waits in the page (Playwright's own waitForFunction breaks under an enumerable Object.prototype.then). */
async function ready(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise((done) => {
        // Resolved with a number, so that nothing handed back is itself a thenable.
        const loaded = () => ((window as any).microseg?._loaded ? (window as any).microseg.ready.then(() => done(1)) : requestAnimationFrame(loaded));
        loaded();
      }),
  );
}

const configVersion = (page: Page) =>
  page.waitForFunction(() => (window as any).microseg.config()?.version).then((h) => h.jsonValue() as Promise<string>);

describe('DOM clobbering: page markup never configures the SDK or chooses its files', () => {
  for (const markup of CLOBBER_SCRIPT) {
    it(`document.currentScript shadowed by ${markup.slice(0, 30)}…`, async () => {
      const context = await browser.newContext();
      const w = await watchedPage(context);
      seen.length = 0;
      const path = serve(html('', `${markup}<p>shop</p>
<script async src="/microseg.iife.js" data-config-url="/good.json" data-collect-url="/collect" data-auto-page="false"></script>`));
      await w.page.goto(server.url + path);
      await ready(w.page);
      expect(await configVersion(w.page)).toBe('good');
      await w.page.evaluate(() => (window as any).microseg.track('x'));
      await w.page.evaluate(() => (window as any).microseg.flush());
      // The validator came from beside the SDK's own file.
      await w.page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/microseg.schema.js')));
      // The markup loads its own src; the SDK asks nothing of /evil.
      expect(seen.filter((p) => /^\/evil(\.json|-|\/microseg)/.test(p))).toEqual([]);
      expect(await w.page.evaluate(() => (window as any).__pwned)).toBeUndefined();
      expect(w.errors).toEqual([]);
      await context.close();
    });
  }

  for (const markup of CLOBBER_GLOBALS) {
    it(`named elements ${markup.slice(0, 40)}… neither block a config nor break the SDK`, async () => {
      const context = await browser.newContext();
      const w = await watchedPage(context);
      const path = serve(html('', `${markup}<p>shop</p><script>${snippet()}
microseg.init({ configUrl: '/good.json', collectUrl: '/collect', autoPage: false }); microseg.track('x');</script>`));
      await w.page.goto(server.url + path);
      await ready(w.page);
      expect(await configVersion(w.page)).toBe('good');
      expect(await w.page.evaluate(() => (window as any).microseg.storage())).toBe('indexeddb');
      // The optional parts (a collector is configured) loaded from beside the SDK, not from the markup.
      expect(await w.page.evaluate(() => typeof (window as any).__microseg_extras?.createMeasurement)).toBe('function');
      expect(await w.page.evaluate(() => typeof (window as any).__microseg_collect?.createOutbox)).toBe('function');
      expect(w.errors).toEqual([]);
      await context.close();
    });
  }

  it("elements named addEventListener, visibilityState, querySelectorAll: the page is tracked, no error", async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    const markup = `<img name="addEventListener"><img name="removeEventListener"><img name="visibilityState"><form name="querySelectorAll"></form>`;
    const path = serve(html('', `${markup}<p>shop</p><script>${snippet()}
window.__codes = []; microseg.on('error', (e) => window.__codes.push(e.code));
microseg.init({ configUrl: '/good.json', refresh: 60000 });</script>`));
    await w.page.goto(server.url + path);
    await ready(w.page);
    await w.page.evaluate(() => (window as any).microseg.flush());
    expect((await storedEvents(w.page)).map((e) => e.type)).toContain('page');
    expect(await configVersion(w.page)).toBe('good');
    expect(await w.page.evaluate(() => (window as any).__codes)).toEqual([]);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it("elements named like document's methods do not stop slots and offers from rendering", async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    const config = {
      ...GOOD,
      campaigns: [{ id: 'hi', slot: 'hero', segments: ['everyone'], content: { text: 'PERSONAL', attributes: { title: 't' } } }],
      suppressions: [{ id: 'no-sale', when: { segments: { $in: ['everyone'] } }, offers: ['sale'] }],
    };
    const names = ['createElement', 'createElementNS', 'createTextNode', 'createDocumentFragment', 'querySelectorAll', 'querySelector', 'head', 'currentScript', 'documentElement', 'adoptedStyleSheets', 'addEventListener', 'removeEventListener', 'visibilityState'];
    const path = serve(html('', `${names.map((n) => `<img name="${n}">`).join('')}
<div data-microseg-slot="hero">DEFAULT</div><p data-microseg-offer="sale">SALE</p>
<script>${snippet()}
window.__codes = []; microseg.on('error', (e) => window.__codes.push(e.code));
microseg.init(${JSON.stringify({ config, autoPage: false })});</script>`));
    await w.page.goto(server.url + path);
    await ready(w.page);
    await w.page.waitForFunction(() => document.body.innerText.includes('PERSONAL'));
    // The test reads the page through the prototype too: its own document.querySelector is an image.
    expect(await w.page.evaluate(() => getComputedStyle(Document.prototype.querySelector.call(document, '[data-microseg-offer]')!).display)).toBe('none');
    expect(await w.page.evaluate(() => (window as any).__codes)).toEqual([]);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('an element with id="microseg" does not stop the snippet', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    const path = serve(html('', `<div id="microseg"><input name="_q"></div><form name="microseg"></form>
<script>${snippet()}
microseg.init({ configUrl: '/good.json', autoPage: false });</script>`));
    await w.page.goto(server.url + path);
    await ready(w.page);
    expect(await configVersion(w.page)).toBe('good');
    expect(w.errors).toEqual([]);
    await context.close();
  });
});

const CLOBBER_CONFIG = {
  schema: 1,
  version: 'clobber',
  segments: [{ id: 'everyone', fallback: true }],
  campaigns: [
    { id: 'a', slot: 'a', segments: ['everyone'], content: { text: 'A', attributes: { name: 'currentScript', id: '__microsegValidate', form: 'f', title: 'kept' } } },
    { id: 'b', slot: 'b', segments: ['everyone'], content: { text: 'B', attributes: { href: '/b', NAME: 'currentScript', Id: 'microseg' } } },
    { id: 'c', slot: 'c', segments: ['everyone'], content: { html: '<img name="currentScript" id="__microsegPaint" src="/c.png" alt="c"><form name="x"></form><input form="f" name="q"><p id="head" title="kept">C</p>' } },
    { id: 'd', slot: 'd', segments: ['everyone'], content: { template: 'clobber', data: { n: 'currentScript', i: 'microseg', f: 'f' } } },
    { id: 'e', slot: 'e', segments: ['everyone'], content: { template: 'clobber', data: { n: 'x' }, attributes: { name: 'currentScript' } } },
  ],
};
const CLOBBER_SLOTS = ['a', 'b', 'c', 'd', 'e'].map((s) => `<div data-microseg-slot="${s}">default ${s}</div>`).join('');
const CLOBBER_TEMPLATE = `<template data-microseg-template="clobber"><img src="/t.png" alt="t" data-microseg-attr="name:n; id:i; form:f"><button data-microseg-attr="name:n; formaction:n">D</button></template>`;
/** A tampered first-paint snapshot: the paint script and the SDK build it. */
const CLOBBER_SNAPSHOT = JSON.stringify({
  v: 1,
  s: {
    a: { c: 'a', k: 'x', n: [['img', { name: 'currentScript', src: '/s.png' }], ['p', { id: '__microsegValidate', NAME: 'microseg', form: 'f' }, 'snap']] },
    b: { c: 'b', k: 'y', n: [['svg:svg', { id: 'microseg' }, ['svg:image', { name: 'currentScript' }]]] },
  },
  o: [],
});

/** Attributes named id, name or form under any slot. */
const clobberingAttrs = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-microseg-slot] *')).flatMap((el) => Array.from(el.attributes).filter((a) => /^(id|name|form)$/i.test(a.name)).map((a) => `${el.localName}[${a.name}=${a.value}]`)),
  );

describe('config content never sets id, name or form', () => {
  it('from config attributes, config HTML, template data and the first-paint snapshot', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.addInitScript((snap) => localStorage.setItem('microseg:paint', snap), CLOBBER_SNAPSHOT);
    const path = serve(html(`<script src="/microseg.paint.js"></script>`, `${CLOBBER_SLOTS}${CLOBBER_TEMPLATE}
<script>window.__firstPaint = document.querySelector('[data-microseg-slot=a]').innerHTML;</script>
<script>${snippet()}
microseg.init(${JSON.stringify({ config: CLOBBER_CONFIG, autoPage: false })});</script>`));
    await w.page.goto(server.url + path);
    // The snapshot was painted, without its clobbering attributes.
    expect(await w.page.evaluate(() => (window as any).__firstPaint)).toContain('snap');
    expect(await w.page.evaluate(() => (window as any).__firstPaint)).not.toMatch(/\b(id|name|form)=/i);
    await ready(w.page);
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=e]')?.getAttribute('data-microseg-state') === 'personalized');
    expect(await clobberingAttrs(w.page)).toEqual([]);
    expect(await w.page.evaluate(() => document.querySelector('[data-microseg-slot=a] p')?.getAttribute('title'))).toBe('kept');
    expect(await w.page.evaluate(() => document.querySelector('[data-microseg-slot=c] p')?.getAttribute('title'))).toBe('kept');
    expect(await w.page.evaluate(() => [document.currentScript, (window as any).__microsegValidate instanceof Element, 'microseg' in document])).toEqual([null, false, false]);
    // The snapshot this page writes carries none of them either.
    await w.page.waitForFunction(() => localStorage.getItem('microseg:paint')?.includes('"c":"e"'));
    expect(await w.page.evaluate(() => localStorage.getItem('microseg:paint'))).not.toMatch(/"(id|name|form)":/i);
    expect(w.errors).toEqual([]);
    await context.close();
  });
});

describe('a preview parameter nobody signed changes nothing for the visitor', () => {
  const previewPage = () =>
    serve(html(`<script>${snippet()}
window.__codes = [];
microseg.on('error', (e) => window.__codes.push(e.code));
microseg.init(${JSON.stringify({ config: GOOD, autoPage: false, consent: 'pending', previewKey: keys.publicJwk })});
microseg.track('before-consent');
microseg.consent('granted');
microseg.track('after-consent');</script>`));

  const cases: Array<[string, () => Promise<string>]> = [
    ['garbage', async () => 'garbage'],
    ['empty', async () => ''],
    ['forged (signed with another key)', async () => signPreviewToken({ segments: ['vip'] }, (await generateKeys()).privatePem)],
    ['expired', async () => signPreviewToken({ segments: ['vip'] }, keys.privatePem, { now: Date.now() - 7_200_000, ttl: 60_000 })],
  ];
  for (const [what, token] of cases) {
    it(`${what}: storage and consent behave as without the parameter`, async () => {
      const context = await browser.newContext();
      const w = await watchedPage(context);
      await w.page.goto(`${server.url}${previewPage()}&microseg_preview=${encodeURIComponent(await token())}`);
      await ready(w.page);
      await w.page.waitForFunction(() => (window as any).__codes.some((c: string) => c.startsWith('preview')));
      expect(await w.page.evaluate(() => (window as any).microseg.storage())).toBe('indexeddb');
      await w.page.evaluate(() => (window as any).microseg.flush());
      const types = (await storedEvents(w.page)).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['before-consent', 'after-consent']));
      expect(w.errors).toEqual([]);
      await context.close();
    });
  }

  it('a verified token runs the page in memory only, whatever consent() says', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    const token = await signPreviewToken({ segments: ['everyone'] }, keys.privatePem);
    await w.page.goto(`${server.url}${previewPage()}&microseg_preview=${token}`);
    await ready(w.page);
    await w.page.waitForSelector('[data-microseg-preview]', { state: 'attached' });
    expect(await w.page.evaluate(() => (window as any).microseg.storage())).toBe('memory');
    expect(await storedEvents(w.page)).toEqual([]);
    expect(w.errors).toEqual([]);
    await context.close();
  });
});

describe('a hostile host page', () => {
  const THEN = [
    `Object.prototype.then = function () {};`,
    `Object.defineProperty(Object.prototype, 'then', { value: function (ok) { ok(42); }, configurable: true });`,
    `Array.prototype.then = function () {}; EventTarget.prototype.then = function () {};`,
  ];
  // Every promise that carries an object (an IndexedDB record, a fetch Response, a CryptoKey)
  // would call the page's `then` instead of settling: the SDK stays out, says so once, and
  // neither hangs the page's awaits nor touches its prototypes.
  for (const hostile of THEN) {
    it(`${hostile.slice(0, 50)}…: one error event, ready resolves, the page keeps its then`, async () => {
      const context = await browser.newContext();
      const w = await watchedPage(context);
      const path = serve(html(`<script>${hostile}</script><script>${snippet()}
window.__codes = [];
microseg.init({ config: ${JSON.stringify(GOOD)}, autoPage: false }); microseg.on('error', (e) => window.__codes.push(e.code));
microseg.track('x'); microseg.label('vip'); microseg.preview(); microseg.endPreview();</script>`, '<div data-microseg-slot="hero">DEFAULT</div>'));
      await w.page.goto(server.url + path);
      await ready(w.page);
      // Read back as text: Playwright itself would adopt a thenable result.
      const state = await w.page.evaluate(() => {
        const m = (window as any).microseg;
        return [m.storage(), m.segments().length, m.decide('hero').campaign ?? '-', (window as any).__codes.join(), document.body.textContent!.trim()].join('|');
      });
      expect(state).toBe('memory|0|-|hostile-page|DEFAULT');
      expect(await w.page.evaluate(() => typeof (Object.prototype as any).then + typeof (Array.prototype as any).then)).not.toBe('undefinedundefined');
      expect(w.warnings.filter((m) => m.includes('hostile-page'))).toHaveLength(1);
      expect(w.errors).toEqual([]);
      await context.close();
    });
  }

  const TO_JSON = [
    `Array.prototype.toJSON = function () { return 'ARRAY'; };`,
    `Object.prototype.toJSON = function () { return { hijacked: true }; };`,
    `Object.defineProperty(Object.prototype, 'toJSON', { value: function () { return undefined; }, configurable: true }); Array.prototype.toJSON = function () { return {}; };`,
  ];
  for (const hostile of TO_JSON) {
    it(`${hostile.slice(0, 50)}…: what is sent and stored is unchanged`, async () => {
      const context = await browser.newContext();
      const w = await watchedPage(context);
      collected.length = 0;
      const path = serve(html(`<script>${hostile}</script><script>${snippet()}
microseg.init({ config: ${JSON.stringify(GOOD)}, autoPage: false, collectUrl: '/collect', collect: { batchSize: 1, interval: 50 } });
microseg.track('purchase', { items: [{ id: 'p1' }], value: 5 });</script>`));
      await w.page.goto(server.url + path);
      await ready(w.page);
      await w.page.evaluate(() => (window as any).microseg.flush());
      await expect.poll(() => collected.length, { timeout: 15_000 }).toBeGreaterThan(0);
      const body = collected[0] as { events: Array<{ type: string; props: any }> };
      expect(Array.isArray(body.events)).toBe(true);
      expect(body.events.find((e) => e.type === 'purchase')?.props).toEqual({ items: [{ id: 'p1' }], value: 5 });
      const profile = await w.page.evaluate(() => {
        const key = Object.keys(localStorage).find((k) => k.includes('profile'));
        return key ? JSON.parse(localStorage.getItem(key)!) : undefined;
      });
      expect(profile?.anonymousId).toEqual(expect.any(String));
      expect(w.errors).toEqual([]);
      await context.close();
    });
  }

  it('props with shared references (fan 10, depth 7) are tracked in linear time, bounded', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    const path = serve(html(`<script>${snippet()}microseg.init({ config: ${JSON.stringify(GOOD)}, autoPage: false });</script>`));
    await w.page.goto(server.url + path);
    await ready(w.page);
    const ms = await w.page.evaluate(() => {
      let node: Record<string, unknown> = { leaf: 1 };
      for (let d = 0; d < 7; d++) {
        const next: Record<string, unknown> = {};
        for (let i = 0; i < 10; i++) next[`k${i}`] = node;
        node = next;
      }
      const list: unknown[] = [];
      for (let i = 0; i < 10; i++) list.push(list);
      const t = performance.now();
      (window as any).microseg.track('dag', { node, list });
      return performance.now() - t;
    });
    expect(ms).toBeLessThan(1000); // unbounded it took seconds; the bound keeps it linear
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it("the snippet's stubs cover the whole API before the SDK loads", async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    // The SDK's file never arrives: the page only has the stubs.
    const path = serve(html(`<script>${snippet('/never.js')}</script>`));
    await w.page.goto(server.url + path);
    const threw = await w.page.evaluate(() => {
      const m = (window as any).microseg;
      try {
        m.preview({ segments: ['x'] });
        m.endPreview();
        return false;
      } catch {
        return true;
      }
    });
    expect(threw).toBe(false);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  for (const [what, layer] of [
    ['an object with its own push', `window.dataLayer = { pushed: [], push(e) { this.pushed.push(e); return 7; } };`],
    ['a class instance whose push is inherited', `class Layer { constructor() { this.pushed = []; } push(e) { this.pushed.push(e); return 7; } } window.dataLayer = new Layer();`],
  ] as const) {
    it(`a dataLayer that is ${what} keeps its push, which is still called`, async () => {
      const context = await browser.newContext();
      const w = await watchedPage(context);
      const path = serve(html(`<script>${layer}</script><script>${snippet()}
microseg.init({ config: ${JSON.stringify(GOOD)}, autoPage: false, dataLayer: true });</script>`));
      await w.page.goto(server.url + path);
      await ready(w.page);
      const result = await w.page.evaluate(() => {
        const dl = (window as any).dataLayer;
        const returned = dl.push({ event: 'add_to_cart', value: 3 });
        return { returned, pushed: dl.pushed.length, isArray: Array.isArray(dl) };
      });
      expect(result).toEqual({ returned: 7, pushed: 1, isArray: false });
      await w.page.evaluate(() => (window as any).microseg.flush());
      expect((await storedEvents(w.page)).map((e) => e.type)).toContain('add_to_cart');
      expect(w.errors).toEqual([]);
      await context.close();
    });
  }

  it("with a nonce for scripts only (style-src 'self'), a suppressed offer never shows while the page parses", async () => {
    const NONCE = 'scr1ptOnly';
    const config = { ...GOOD, suppressions: [{ id: 'no-sale', when: { segments: { $in: ['everyone'] } }, offers: ['sale'] }] };
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.addInitScript(FRAME_RECORDER);
    const path = serve(
      html(`<script nonce="${NONCE}" src="/microseg.paint.js"></script><script nonce="${NONCE}">${snippet()}
microseg.init(${JSON.stringify({ config, autoPage: false })});</script>`, `<p data-microseg-offer="sale">SALE</p><p>shop</p>`),
      { 'content-security-policy': `default-src 'self'; script-src 'nonce-${NONCE}' 'strict-dynamic'; style-src 'self'; object-src 'none'` },
    );
    await w.page.goto(server.url + path);
    await ready(w.page);
    await w.page.waitForFunction(() => localStorage.getItem('microseg:paint')?.includes('sale'));
    // The second visit hides the offer from the first frame, from the snapshot.
    await w.page.goto(server.url + path);
    await ready(w.page);
    const frames = (await w.page.evaluate(() => (window as any).__frames)) as FrameRecord[];
    const offer = frames.filter((f) => f.name === 'offer:sale');
    expect(offer.length).toBeGreaterThan(0);
    expect(offer.filter((f) => f.visible)).toEqual([]);
    expect(await w.page.evaluate(() => (window as any).__violations)).toEqual([]);
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
