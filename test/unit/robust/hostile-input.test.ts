// Hostile input: no argument to any public method, no option and no config makes the SDK throw
// into the page or reject a promise; the SDK keeps working afterwards.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMicroseg, type Microseg, type MicrosegConfig } from '../../../src';

const CONFIG: MicrosegConfig = {
  schema: 1,
  version: 'fuzz.1',
  metrics: { taps: { event: 'tap', agg: 'count' }, spend: { event: 'purchase', agg: 'sum', field: 'value', window: '7d' } },
  segments: [
    { id: 'tapper', when: { 'metrics.taps': { $gte: 1 } } },
    { id: 'vip', when: { 'labels.vip': { $exists: true } } },
    { id: 'everyone', fallback: true },
  ],
  campaigns: [{ id: 'c1', slot: 'hero', segments: ['tapper'], priority: 1, content: { text: 'hi' } }],
};

/** Values built to hurt: getters and proxies that throw, cycles, odd prototypes, huge strings. */
function nasty(): unknown[] {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const getter = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('getter'); } });
  const proxy = new Proxy({}, {
    get: () => { throw new Error('proxy get'); },
    ownKeys: () => { throw new Error('proxy keys'); },
    getPrototypeOf: () => { throw new Error('proxy proto'); },
    has: () => { throw new Error('proxy has'); },
    getOwnPropertyDescriptor: () => { throw new Error('proxy descriptor'); },
  });
  const toStringBomb = { toString: () => { throw new Error('toString'); }, valueOf: () => { throw new Error('valueOf'); } };
  return [
    undefined, null, NaN, Infinity, -0, 2n ** 70n, Symbol('s'), () => 1, cyclic, getter, proxy, toStringBomb,
    Object.create(null), new Date(NaN), /re/g, new Map([[1, 2]]), new Uint8Array(4), [cyclic, proxy],
    'x'.repeat(200_000), '\u0000\ud800', '__proto__', 'constructor', { __proto__: { polluted: true } },
    JSON.parse('{"__proto__": {"polluted": true}}'), { ttl: proxy }, { ttl: -1, value: cyclic, channel: toStringBomb },
    { value: 1e308 * 10 }, { items: [{ item_category: proxy }] }, new Proxy([], { get: () => { throw new Error('array proxy'); } }),
  ];
}

const NASTY = nasty();
/** fast-check must not touch the nasty values itself (it probes and prints them): they are drawn by index. */
type Arg = { any: unknown } | { nasty: number };
const arg: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true }).map((any) => ({ any })) },
  { weight: 2, arbitrary: fc.nat({ max: NASTY.length - 1 }).map((nasty) => ({ nasty })) },
  { weight: 1, arbitrary: fc.constantFrom('tap', 'purchase', 'hero', 'vip', 'granted', 'denied', 'pending', 'track', 'error', 'segment:enter').map((any) => ({ any })) },
);
const value = (a: Arg) => ('nasty' in a ? NASTY[a.nasty] : a.any);

const METHODS = [
  'track', 'page', 'identify', 'label', 'unlabel', 'labels', 'profile', 'segments', 'explain', 'config', 'decide',
  'suppressedOffers', 'render', 'consent', 'on', 'flush', 'storage',
] as const;

let instances: Microseg[] = [];
afterEach(() => {
  for (const ms of instances.splice(0)) ms.destroy();
  vi.restoreAllMocks();
});

function start(options: Record<string, unknown> = {}): Microseg {
  const ms = createMicroseg({ config: CONFIG, autoPage: false, dbName: `fuzz-${Math.random()}`, ...options });
  instances.push(ms);
  return ms;
}

describe('hostile input to the public methods', () => {
  it('no call with any arguments throws or rejects, and the SDK still counts afterwards', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const ms = start();
    await ms.ready;
    const pending: Promise<unknown>[] = [];
    fc.assert(
      fc.property(fc.array(fc.record({ method: fc.constantFrom(...METHODS), args: fc.array(arg, { maxLength: 3 }) }), { maxLength: 12 }), (calls) => {
        for (const { method, args } of calls) {
          const result = (ms as any)[method](...args.map(value));
          if (result && typeof result.then === 'function') pending.push(result);
          if (method === 'on' && typeof result === 'function') result(); // unsubscribes
        }
      }),
      { numRuns: 300 },
    );
    await Promise.all(pending); // none rejects
    ms.consent('granted');
    const before = Number(ms.explain('tapper')?.clauses[0]?.actual ?? 0);
    ms.track('tap');
    expect(ms.explain('tapper')?.clauses[0]?.actual).toBe(before + 1);
    expect(ms.segments()).toContain('tapper');
  });

  it('handlers that throw stay inside; so do hostile options', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const ms = start();
    ms.on('track', () => { throw new Error('handler bug'); });
    ms.on('segment:enter', () => { throw new Error('handler bug'); });
    ms.on('error', () => { throw new Error('error handler bug'); });
    await ms.ready;
    expect(() => ms.track('tap')).not.toThrow();
    for (const bad of NASTY) {
      const options = bad && typeof bad === 'object' ? { config: bad, now: () => NaN, retentionDays: bad, maxEvents: -5, dbName: 'x'.repeat(10_000) } : { config: bad, labelsUrl: bad, collectUrl: bad };
      let other: Microseg | undefined;
      expect(() => (other = createMicroseg({ autoPage: false, ...(options as object) }))).not.toThrow();
      instances.push(other!);
      await other!.ready; // never rejects
      expect(() => other!.track('tap', { bad })).not.toThrow();
    }
  });

  it('config fields fuzzed through the SDK are accepted whole or rejected with an error event; never a throw', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    await fc.assert(
      fc.asyncProperty(
        fc.record({ path: fc.constantFrom('metrics', 'segments', 'campaigns', 'suppressions', 'journeys', 'scores', 'labels', 'version', 'schema'), v: arg }),
        async ({ path, v }) => {
          const config = { ...structuredClone(CONFIG), [path]: value(v) };
          const errors: string[] = [];
          const ms = createMicroseg({ config, autoPage: false, dbName: `cfg-${Math.random()}` });
          ms.on('error', (e) => errors.push(e.code));
          instances.push(ms);
          await ms.ready;
          ms.track('tap');
          expect(ms.segments().length).toBeGreaterThanOrEqual(ms.config() ? 1 : 0);
          if (!ms.config()) expect(errors.length).toBeGreaterThan(0);
          ms.destroy();
        },
      ),
      { numRuns: 60 },
    );
  });
});
