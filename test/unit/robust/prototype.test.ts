// Prototype pollution as a class: ids and names from configs, the page, another tab or storage
// are keys of null-prototype maps, and the config rules refuse the names that are special to
// JavaScript objects.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../../src/config/schema';
import { createEngine } from '../../../src/engine/engine';
import { addClick, addExposure } from '../../../src/decide/history';
import { createMicroseg } from '../../../src';

const RESERVED = ['__proto__', 'constructor', 'prototype'];
const shop = JSON.parse(readFileSync('examples/shop.config.json', 'utf8'));
const base = () => JSON.parse(JSON.stringify(shop));
const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();
const before = prototypeKeys();
const clean = () => {
  expect(prototypeKeys()).toEqual(before);
  const probe = {} as Record<string, unknown>;
  for (const k of ['exposures', 'lastAt', 'clicks', 'lastClickAt', 'total', 'x', 'polluted']) expect(probe[k]).toBeUndefined();
};
afterEach(clean);

/** JSON text with a literal "__proto__" key parses to an own property, as it arrives from a network or store. */
const withKey = (json: string, name: string) => JSON.parse(json.replaceAll('NAME', name));

describe('the config rules refuse names special to JavaScript objects', () => {
  const cases: Array<[string, (name: string) => unknown, string]> = [
    ['segment id', (n) => ({ ...base(), segments: [...base().segments, { id: n, when: { 'profile.visits': { $gt: 1 } } }] }), `segments[${shop.segments.length}].id`],
    ['campaign id', (n) => ({ ...base(), campaigns: [...base().campaigns, { ...base().campaigns[0], id: n }] }), `campaigns[${shop.campaigns.length}].id`],
    ['suppression id', (n) => ({ ...base(), suppressions: [{ id: n, when: { 'profile.visits': 1 }, offers: '*' }] }), 'suppressions[0].id'],
    ['journey id', (n) => ({ ...base(), journeys: [{ ...base().journeys[0], id: n }] }), 'journeys[0].id'],
    ['metric name', (n) => ({ ...base(), metrics: { ...base().metrics, ...withKey('{"NAME": {"event": "purchase", "agg": "count"}}', n) } }), 'metrics'],
    ['score name', (n) => ({ ...base(), scores: withKey('{"NAME": {"model": "linear", "bias": 0, "weights": {}}}', n) }), 'scores'],
    ['content data key', (n) => {
      const c = base();
      c.campaigns[0].content.data = withKey('{"NAME": "x"}', n);
      return c;
    }, 'campaigns[0].content.data'],
  ];
  for (const [what, make, path] of cases) {
    it(`a ${what} "__proto__", "constructor" or "prototype" is refused with its path`, () => {
      for (const name of RESERVED) {
        const result = parseConfig(make(name));
        expect(result.ok, `${what} ${name}`).toBe(false);
        if (result.ok) continue;
        const hit = result.errors.find((e) => e.path.startsWith(path) && /reserved/.test(e.message));
        expect(hit, `${what} ${name}: ${JSON.stringify(result.errors)}`).toBeTruthy();
      }
    });
  }

  it('ordinary names that merely contain those words are fine', () => {
    const c = base();
    c.segments.splice(0, 0, { id: 'constructor-fans', when: { 'profile.visits': { $gt: 1 } } });
    expect(parseConfig(c).ok).toBe(true);
  });
});

describe('the engine and the decision history keep ids from events in null-prototype maps', () => {
  const config = { schema: 1, version: 'p', segments: [{ id: 'seen-ctor', when: { 'campaigns.constructor.exposures': { $gte: 1 } } }, { id: 'everyone', fallback: true }], campaigns: [] } as any;

  it('$exposure and $click with campaign "__proto__", "constructor", "toString" pollute nothing, also after a snapshot is restored', () => {
    let t = Date.UTC(2026, 10, 23, 12);
    const engine = createEngine(config, { now: () => t });
    engine.backfill([]);
    let n = 0;
    const event = (type: string, campaign: string) => ({ id: `e${n++}`, type, ts: ++t, seq: n, props: { campaign }, page: { url: '', path: '/', title: '', referrer: '' }, aid: 'a', visit: 1 });
    for (const name of [...RESERVED, 'toString', 'hasOwnProperty']) {
      engine.ingest(event('$exposure', name) as any);
      engine.ingest(event('$click', name) as any);
    }
    clean();
    expect(engine.segments()).toContain('seen-ctor');
    // The snapshot goes through storage (JSON here: "__proto__" comes back as an own key).
    const stored = JSON.parse(JSON.stringify(engine.snapshot()));
    const again = createEngine(config, { now: () => t, state: stored });
    again.ingest(event('$exposure', '__proto__') as any);
    clean();
    expect(again.segments()).toContain('seen-ctor');
  });

  it('a campaign-less history counts "__proto__" as a campaign like any other', () => {
    const at = { now: 1, date: '2026-11-23', visit: 1, view: 'v1' };
    const c = { id: '__proto__', slot: 's', segments: ['x'], content: {} } as any;
    const h = addClick(addExposure({}, c, at, false)!, '__proto__');
    expect(Object.keys(h)).toEqual(['__proto__']);
    expect(h['__proto__']!.total).toBe(1);
    expect(h['__proto__']!.clicks).toBe(1);
    const again = addExposure(h, c, { ...at, view: 'v2' }, false)!;
    expect(again['__proto__']!.total).toBe(2);
  });
});

describe('the SDK, from the page, another tab and storage', () => {
  it('track, identify and tab messages with those names pollute nothing and the next page restores them safely', async () => {
    const errors: unknown[] = [];
    const t = Date.UTC(2026, 10, 23, 12);
    const ms = createMicroseg({ config: shop, now: () => t, autoPage: false, dbName: 'proto-1', consent: 'granted' } as any);
    ms.on('error', (e) => errors.push(e));
    await ms.ready;
    for (const name of [...RESERVED, 'toString']) {
      ms.track('$exposure', { campaign: name, slot: 'hero' });
      ms.track('$click', { campaign: name, slot: 'hero' });
    }
    ms.identify('u1', JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}'));
    ms.track('purchase', JSON.parse('{"value": 5, "__proto__": {"polluted": 1}}'));
    // Another tab speaks in the same names.
    const other = new BroadcastChannel('microseg:proto-1');
    const tabEvent = (id: string) => ({ id, type: '$exposure', ts: t, seq: 0, props: { campaign: '__proto__' }, page: { url: '', path: '/', title: '', referrer: '' }, aid: 'a', visit: 1 });
    other.postMessage({ t: 'events', events: [tabEvent('tab-1'), tabEvent('tab-2')] });
    await new Promise<void>((resolve) => {
      const probe = new BroadcastChannel('microseg:proto-1');
      probe.onmessage = () => (probe.close(), resolve());
      other.postMessage({ t: 'probe' });
    });
    await ms.flush();
    clean();
    ms.destroy();
    other.close();

    const next = createMicroseg({ config: shop, now: () => t + 1000, autoPage: false, dbName: 'proto-1', consent: 'granted' } as any);
    next.on('error', (e) => errors.push(e));
    await next.ready;
    next.track('$exposure', { campaign: '__proto__', slot: 'hero' });
    next.decide('hero');
    await next.flush();
    clean();
    next.destroy();
    expect(errors).toEqual([]);
  });
});
