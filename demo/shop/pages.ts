// Maison Demo, the shop: server-rendered pages that push GA4 ecommerce events into
// `window.dataLayer` exactly as a Google Tag Manager shop does, with the microseg snippet inline
// in <head> and personalizable places marked with data-microseg-* attributes.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Env, Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';

export interface Product {
  id: string;
  name: string;
  category: string;
  price: number;
  color: string;
  description: string;
  bestseller?: boolean;
}
interface Category {
  id: string;
  name: string;
  tagline: string;
}
interface Catalog {
  currency: string;
  brand: string;
  categories: Category[];
  products: Product[];
}

export const catalog: Catalog = JSON.parse(readFileSync(new URL('./catalog.json', import.meta.url), 'utf8'));
const money = new Intl.NumberFormat('en-IE', { style: 'currency', currency: catalog.currency });

export function registerShop<E extends Env>(app: Hono<E>, opts: { root: string; microsegHead: () => string }): void {
  const paint = firstPaint(`${opts.root}dist/microseg.paint.js`);
  const page = (p: PageParts) => layout(p, `<!-- microseg -->\n${paint()}\n${opts.microsegHead()}\n<!-- /microseg -->`);

  app.use('/assets/*', serveStatic({ root: `${opts.root}demo/shop/assets`, rewriteRequestPath: (p) => p.replace(/^\/assets/, '') }));
  app.get('/', (c) => c.html(page(homePage())));
  app.get('/c/:category', (c) => {
    const category = catalog.categories.find((cat) => cat.id === c.req.param('category'));
    return category ? c.html(page(categoryPage(category))) : c.html(page(notFoundPage()), 404);
  });
  app.get('/p/:id', (c) => {
    const product = catalog.products.find((p) => p.id === c.req.param('id'));
    return product ? c.html(page(productPage(product))) : c.html(page(notFoundPage()), 404);
  });
  // Short paths, as campaign links write them.
  for (const cat of catalog.categories) app.get(`/${cat.id}`, (c) => c.redirect(`/c/${cat.id}`));
  app.get('/ski/passes', (c) => c.redirect('/c/ski'));
  app.get('/sale', (c) => c.html(page(salePage())));
  app.get('/help', (c) => c.html(page(helpPage())));
  app.get('/cart', (c) => c.html(page(cartPage())));
  app.get('/checkout', (c) => c.html(page(checkoutPage())));
  app.get('/checkout/complete', (c) => c.html(page(completePage())));
  app.notFound((c) => c.html(page(notFoundPage()), 404));
}

/**
 * The first-paint script, inline and first in <head>: a returning visitor's slots are painted from
 * the last decisions as they are parsed (no request on the critical path). Read at serve time.
 */
function firstPaint(path: string): () => string {
  let cache: { mtimeMs: number; html: string } | undefined;
  return () => {
    if (!existsSync(path)) return '<!-- microseg: dist/microseg.paint.js is not built yet (npm run build) -->';
    const { mtimeMs } = statSync(path);
    if (cache?.mtimeMs !== mtimeMs) cache = { mtimeMs, html: `<script>${readFileSync(path, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '').replace(/<\/(script)/gi, '<\\/$1')}</script>` };
    return cache.html;
  };
}

// ---- GA4 items and dataLayer code ----------------------------------------------------------------

/** A product as a GA4 ecommerce item. */
export function ga4Item(p: Product, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const category = catalog.categories.find((c) => c.id === p.category);
  return {
    item_id: p.id,
    item_name: p.name,
    item_brand: catalog.brand,
    item_category: p.category,
    item_category2: category?.name,
    price: p.price,
    quantity: 1,
    ...extra,
  };
}

function listItems(products: Product[], listId: string, listName: string) {
  return products.map((p, index) => ga4Item(p, { item_list_id: listId, item_list_name: listName, index }));
}

/** GTM form: clear the previous ecommerce object, then push the event. */
function gtmPush(event: string, ecommerce: Record<string, unknown>): string {
  return `<script>
dataLayer.push({ ecommerce: null });
dataLayer.push(${json({ event, ecommerce })});
</script>`;
}

/** gtag form: the `arguments` object lands in dataLayer. */
function gtagEvent(event: string, params: Record<string, unknown>): string {
  return `<script>gtag('event', ${json(event)}, ${json(params)});</script>`;
}

function json(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

// ---- layout --------------------------------------------------------------------------------------

interface PageParts {
  title: string;
  main: string;
  /** 'gtag' pages send their interaction events (select_item, select_promotion) with gtag(). */
  tagging?: 'gtm' | 'gtag';
  page: string;
  /** The product on screen: personalized recommendations leave it out. */
  viewing?: string;
}

function layout(p: PageParts, microsegHead: string): string {
  const nav = catalog.categories
    .map((c) => `<a href="/c/${c.id}"${p.page === `category:${c.id}` ? ' aria-current="page"' : ''}>${esc(c.name)}</a>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)} · ${esc(catalog.brand)}</title>
<script>window.dataLayer = window.dataLayer || []; function gtag(){ dataLayer.push(arguments); }</script>
${microsegHead}
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/shop.css">
${p.viewing ? `<style>.recs-pick .product-card[data-product="${esc(p.viewing)}"] { display: none !important; }</style>\n` : ''}<script src="/assets/shop.js" defer></script>
</head>
<body data-page="${esc(p.page)}" data-tagging="${p.tagging ?? 'gtm'}">
<header class="site-header">
  <a class="logo" href="/">Maison&nbsp;Demo</a>
  <nav class="main-nav" aria-label="Categories">${nav}</nav>
  <a class="bag-link" href="/cart">Bag <span class="bag-count" data-cart-count>0</span></a>
</header>
<div class="promo-banner" data-microseg-slot="promo-banner">
  <p data-microseg-offer="free-returns">Free returns for 30 days, on every order.
    <a href="/help" data-promotion='${attrJson({ promotion_id: 'free-returns', promotion_name: 'Free returns', creative_slot: 'promo-banner' })}'>How it works</a></p>
</div>
<main>
${p.main}
</main>
<footer class="site-footer">
  <p>Maison Demo is a demonstration shop for microseg. Nothing here is for sale.</p>
  <p><a href="/console">Marketer console</a></p>
</footer>
${TEMPLATES}
</body>
</html>`;
}

// Campaign content the config can pick by id; the slot's own markup is the default.
const TEMPLATES = `<template data-microseg-template="welcome-handbags">
  <div class="hero-copy">
    <p class="eyebrow">Welcome to Maison Demo</p>
    <h1>Your first handbag, 10% off</h1>
    <p>Use code <strong class="code" data-microseg-text="code">BAG10</strong> at checkout — this week only.</p>
    <a class="button" href="/c/handbags" data-microseg-attr="href:url">Find your bag</a>
  </div>
</template>
<template data-microseg-template="apology">
  <div class="hero-copy">
    <p class="eyebrow">Client care</p>
    <h1 data-microseg-text="headline">We are sorry.</h1>
    <p data-microseg-text="message">We let you down recently. Our client care team will make it right — reply to our email or call us any day.</p>
    <a class="button secondary" href="/help" data-microseg-attr="href:contact">Talk to client care</a>
  </div>
</template>
<template data-microseg-template="vip-offer">
  <div class="hero-copy">
    <p class="eyebrow">For our best clients</p>
    <h1><span data-microseg-text="discount">20%</span> off, just for you</h1>
    <p>Your private code <strong class="code" data-microseg-text="code">VIP20</strong> works on everything, new season included.</p>
    <a class="button" href="/" data-microseg-attr="href:url">Shop the new season</a>
  </div>
</template>
<template data-microseg-template="hero-banner">
  <div class="hero-copy">
    <p class="eyebrow">Maison Demo</p>
    <h1 data-microseg-text="title">Something new for you</h1>
    <a class="button" href="/" data-microseg-attr="href:href">Discover</a>
  </div>
</template>
<template data-microseg-template="ski-season">
  <div class="hero-copy">
    <p class="eyebrow">The mountains are calling</p>
    <h1 data-microseg-text="headline">Ski season starts now</h1>
    <p>Skis, boots and jackets tested in the Alps.</p>
    <a class="button" href="/c/ski" data-microseg-attr="href:url">Shop ski</a>
  </div>
</template>
<template data-microseg-template="winback">
  <div class="hero-copy">
    <p class="eyebrow">We have missed you</p>
    <h1><span data-microseg-text="discount">15%</span> off your next order</h1>
    <p>Code <strong class="code" data-microseg-text="code">COMEBACK</strong>, valid for seven days.</p>
    <a class="button" href="/" data-microseg-attr="href:url">See what is new</a>
  </div>
</template>
<template data-microseg-template="promo-text">
  <p><span data-microseg-text="text">A message for you.</span> <a href="/" data-microseg-attr="href:url" data-microseg-text="cta">Discover</a></p>
</template>
<template data-microseg-template="recs">
  <h2 data-microseg-text="title">Picked for you</h2>
  <div class="product-grid compact recs-pick" data-recs-category="bestsellers" data-microseg-attr="data-recs-category:category">${catalog.products
    .map((p, i) => productCard(p, { listId: 'recs-personalized', listName: 'Picked for you', index: i }))
    .join('')}</div>
</template>
<template data-microseg-template="recs-handbags">
  <h2 data-microseg-text="title">Handbags you might love</h2>
  <div class="product-grid compact">${catalog.products
    .filter((p) => p.category === 'handbags')
    .slice(0, 4)
    .map((p, i) => productCard(p, { listId: 'recs-handbags', listName: 'Recommended handbags', index: i }))
    .join('')}</div>
</template>
<template data-microseg-template="upsell">
  <div class="upsell">
    <h2>Often added</h2>
    <p><strong class="code" data-microseg-text="sku">ADD-ON</strong> — €<span data-microseg-text="price">0.00</span></p>
    <p class="hint">Ask for it at checkout: we add it to your parcel.</p>
  </div>
</template>
<template data-microseg-template="vip-upsell">
  <div class="upsell">
    <h2>A gift for our best clients</h2>
    <p><span data-microseg-text="gift">Complimentary monogramming</span> on this order — we add it when we pack your parcel.</p>
  </div>
</template>`;

// ---- pages ---------------------------------------------------------------------------------------

function homePage(): PageParts {
  const featured = ['hb-alma', 'sh-montmartre', 'sk-courchevel', 'hb-rivoli'].map(byId);
  const listId = 'home-featured';
  const listName = 'Featured on the home page';
  const tiles = catalog.categories
    .map(
      (c) => `<a class="category-tile" href="/c/${c.id}" style="--tile:${categoryColor(c.id)}">
  <span class="category-name">${esc(c.name)}</span><span class="category-tagline">${esc(c.tagline)}</span></a>`,
    )
    .join('');
  return {
    title: 'Home',
    page: 'home',
    tagging: 'gtag',
    main: `<section class="hero" data-microseg-slot="hero">
  <div class="hero-copy">
    <p class="eyebrow">Maison Demo</p>
    <h1>Quiet luxury, made to last.</h1>
    <p>Leather goods, shoes and alpine kit from small workshops — chosen once, worn for years.</p>
    <a class="button" href="/c/handbags" data-promotion='${attrJson({ promotion_id: 'aw26-hero', promotion_name: 'AW26 collection', creative_slot: 'hero' })}'>Discover the handbags</a>
  </div>
</section>
<section class="category-tiles" aria-label="Shop by category">${tiles}</section>
<section class="featured">
  <h2>Featured this week</h2>
  <div class="product-grid">${featured.map((p, i) => productCard(p, { listId, listName, index: i })).join('')}</div>
</section>
<p class="notice" data-microseg-offer="free-shipping">Free shipping and returns on orders over €200.</p>
${gtagEvent('view_promotion', {
  items: [
    { promotion_id: 'aw26-hero', promotion_name: 'AW26 collection', creative_slot: 'hero' },
    { promotion_id: 'free-returns', promotion_name: 'Free returns', creative_slot: 'promo-banner' },
  ],
})}
${gtagEvent('view_item_list', { item_list_id: listId, item_list_name: listName, items: listItems(featured, listId, listName) })}`,
  };
}

function categoryPage(category: Category): PageParts {
  const products = catalog.products.filter((p) => p.category === category.id);
  const listId = `category-${category.id}`;
  const listName = category.name;
  const skiOffer =
    category.id === 'ski'
      ? `<p class="notice offer" data-microseg-offer="ski-bundle">Ski bundle: skis and boots together, 15% off — applied in your bag.</p>`
      : '';
  return {
    title: category.name,
    page: `category:${category.id}`,
    main: `<section class="category-header" style="--tile:${categoryColor(category.id)}">
  <h1>${esc(category.name)}</h1>
  <p>${esc(category.tagline)}</p>
</section>
${skiOffer}
<div class="product-grid">${products.map((p, i) => productCard(p, { listId, listName, index: i })).join('')}</div>
${recsStrip(catalog.products.filter((p) => p.category !== category.id && p.bestseller).slice(0, 4))}
${gtmPush('view_item_list', { item_list_id: listId, item_list_name: listName, items: listItems(products, listId, listName) })}`,
  };
}

/** The recommendations strip: its own picks are the default a campaign may replace. */
function recsStrip(products: Product[]): string {
  return `<section class="recs" data-microseg-slot="recs">
  <h2>You may also like</h2>
  <div class="product-grid compact">${products.map((r, i) => productCard(r, { listId: 'recs', listName: 'You may also like', index: i })).join('')}</div>
</section>`;
}

function productPage(p: Product): PageParts {
  const category = catalog.categories.find((c) => c.id === p.category)!;
  const others = catalog.products.filter((o) => o.id !== p.id);
  const recs = [...others.filter((o) => o.category === p.category), ...others.filter((o) => o.category !== p.category)].slice(0, 4);
  return {
    title: p.name,
    page: `product:${p.id}`,
    viewing: p.id,
    main: `<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/">Home</a> / <a href="/c/${category.id}">${esc(category.name)}</a> / <span>${esc(p.name)}</span></nav>
<article class="product-detail">
  <div class="product-image large">${productArt(p)}</div>
  <div class="product-info">
    <h1>${esc(p.name)}</h1>
    <p class="price">${money.format(p.price)}</p>
    <p>${esc(p.description)}</p>
    <div class="buy">
      <label>Quantity <select data-quantity>${[1, 2, 3].map((q) => `<option>${q}</option>`).join('')}</select></label>
      <button class="button" type="button" data-add-to-cart='${attrJson(ga4Item(p))}'>Add to bag</button>
    </div>
    <p class="notice" data-microseg-offer="free-shipping">Free shipping and returns on orders over €200.</p>
  </div>
</article>
${recsStrip(recs)}
${gtmPush('view_item', { currency: catalog.currency, value: p.price, items: [ga4Item(p)] })}`,
  };
}

function salePage(): PageParts {
  const listId = 'sale';
  const listName = 'Sale';
  return {
    title: 'Sale',
    page: 'sale',
    main: `<section class="category-header" style="--tile:#f6e3e3">
  <h1>Sale</h1>
  <p>The whole collection, with the season's offers applied in your bag.</p>
</section>
<div class="product-grid">${catalog.products.map((p, i) => productCard(p, { listId, listName, index: i })).join('')}</div>
${gtmPush('view_item_list', { item_list_id: listId, item_list_name: listName, items: listItems(catalog.products, listId, listName) })}`,
  };
}

function helpPage(): PageParts {
  return {
    title: 'Client care',
    page: 'help',
    main: `<section class="confirmation">
  <h1>Client care</h1>
  <p>We answer every message within a day, and by phone every day from 9:00 to 19:00.</p>
  <p><a class="button secondary" href="/">Back to the shop</a></p>
</section>`,
  };
}

function cartPage(): PageParts {
  return {
    title: 'Your bag',
    page: 'cart',
    main: `<h1>Your bag</h1>
<div class="cart" data-cart-view><p class="empty">Loading your bag…</p></div>
${recsStrip(catalog.products.filter((p) => p.bestseller).slice(0, 4))}`,
  };
}

function checkoutPage(): PageParts {
  const upsell = byId('hb-marais');
  return {
    title: 'Checkout',
    page: 'checkout',
    main: `<h1>Checkout</h1>
<div class="checkout">
  <form class="checkout-form" data-checkout-form>
    <fieldset>
      <legend>Delivery</legend>
      <label>Full name <input name="name" autocomplete="name" required></label>
      <label>Address <input name="address" autocomplete="street-address" required></label>
      <label>City <input name="city" autocomplete="address-level2" required></label>
    </fieldset>
    <fieldset>
      <legend>Payment</legend>
      <p class="hint">This is a demo: no card is needed and nothing is charged.</p>
      <label class="inline"><input type="checkbox" name="giftWrap"> <span data-microseg-offer="gift-wrap">Complimentary gift wrapping</span></label>
    </fieldset>
    <button class="button" type="submit">Place order</button>
  </form>
  <aside class="order-summary">
    <h2>Order summary</h2>
    <div data-checkout-summary><p class="empty">Loading…</p></div>
    <div class="upsell" data-microseg-slot="checkout-upsell">
      <h2>Complete the look</h2>
      <p>${esc(upsell.name)} — ${money.format(upsell.price)}</p>
      <button class="button secondary" type="button" data-add-to-cart='${attrJson(ga4Item(upsell))}'>Add to order</button>
    </div>
  </aside>
</div>`,
  };
}

function completePage(): PageParts {
  return {
    title: 'Thank you',
    page: 'order-complete',
    main: `<section class="confirmation" data-order-confirmation><h1>Thank you</h1><p>Loading your order…</p></section>`,
  };
}

function notFoundPage(): PageParts {
  return {
    title: 'Not found',
    page: 'not-found',
    main: `<section class="confirmation"><h1>We could not find that page</h1><p><a class="button" href="/">Back to the shop</a></p></section>`,
  };
}

// ---- pieces --------------------------------------------------------------------------------------

function productCard(p: Product, list: { listId: string; listName: string; index: number }): string {
  const item = ga4Item(p, { item_list_id: list.listId, item_list_name: list.listName, index: list.index });
  const bestseller = p.bestseller ? ' data-bestseller' : '';
  return `<a class="product-card" href="/p/${p.id}" data-product="${p.id}" data-category="${p.category}"${bestseller} data-select-item='${attrJson(item)}'>
  <div class="product-image">${productArt(p)}</div>
  <span class="product-name">${esc(p.name)}</span>
  <span class="product-price">${money.format(p.price)}</span>
</a>`;
}

// Simple drawings instead of photographs: the demo works offline. Colours are SVG presentation
// attributes, not inline styles, so the drawing survives being copied into a campaign's slot (the
// SDK drops style attributes from content).
function productArt(p: Product): string {
  const shapes: Record<string, string> = {
    handbags: `<path d="M38 44c0-14 8-22 22-22s22 8 22 22" fill="none" stroke="currentColor" stroke-width="5"/><rect x="22" y="42" width="76" height="54" rx="10" fill="currentColor"/><rect x="54" y="56" width="12" height="8" rx="2" fill="#fff" opacity=".55"/>`,
    shoes: `<path d="M16 86c0-8 6-12 14-14l26-8c10-3 18-14 26-22l8 4c-2 10 2 20 8 26 4 4 6 8 6 14v4H16z" fill="currentColor"/><rect x="84" y="88" width="8" height="12" fill="currentColor"/>`,
    ski: `<path d="M10 96l34-52 16 22 12-14 38 44z" fill="currentColor"/><path d="M44 44l8 12-8 2-6-4z" fill="#fff" opacity=".8"/>`,
  };
  return `<svg viewBox="0 0 120 120" preserveAspectRatio="xMidYMid slice" role="img" aria-label="${esc(p.name)}" color="${esc(p.color)}">\
<rect width="120" height="120" fill="${esc(p.color)}" fill-opacity=".12"/>\
<g transform="translate(27 27) scale(.55)">${shapes[p.category] ?? ''}</g></svg>`;
}

function categoryColor(id: string): string {
  return ({ handbags: '#f3e6da', shoes: '#ece8f3', ski: '#e3eef6' } as Record<string, string>)[id] ?? '#eee';
}

function byId(id: string): Product {
  const p = catalog.products.find((x) => x.id === id);
  if (!p) throw new Error(`catalog has no product ${id}`);
  return p;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON for a single-quoted attribute. */
function attrJson(value: unknown): string {
  return JSON.stringify(value).replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/</g, '&lt;');
}
