// Labels kept per (name, channel), ordered on one device by call order, with any name, and
// bounded values: a model of set/unset/expire per channel against the SDK, convergence of
// merges in any order, names that are Object.prototype's, and bad records refused one by one.
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createMicroseg, type Microseg, type MicrosegConfig } from '../../../src';
import { activeLabels, mergeLabels, mergeRemote, readLabels, recordList, type Label, type LabelRecords } from '../../../src/labels';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T = Date.UTC(2026, 10, 23, 10);

function errorsOf(ms: Microseg): Array<{ code: string; message: string }> {
  const errors: Array<{ code: string; message: string }> = [];
  ms.on('error', (e) => errors.push(e));
  return errors;
}

/** A labels backend answering `body` (any JSON); the requests it saw. */
function stubBackend(body: () => unknown) {
  const fetch = vi.fn(async () => new Response(JSON.stringify(body()), { headers: { 'content-type': 'application/json' } }));
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('labels per channel', () => {
  it('an expired local label never masks another channel’s label of the same name', async () => {
    let t = T;
    let answer: unknown[] = [];
    stubBackend(() => ({ labels: answer }));
    const ms = createMicroseg({ labelsUrl: '/api/labels', autoPage: false, now: () => t });
    await ms.ready;
    ms.label('complaint', { ttl: '1h', value: 'web form' });
    t += 2 * HOUR; // the local record expired
    expect(ms.labels()).toEqual([]);
    // the call-centre's complaint from 3 hours ago, without expiry, arrives now
    answer = [{ name: 'complaint', at: t - 3 * HOUR, channel: 'call-centre', value: 'late delivery' }];
    ms.identify('u-1');
    await vi.waitFor(() => expect(ms.labels()).toHaveLength(1));
    expect(ms.labels()[0]).toMatchObject({ name: 'complaint', channel: 'call-centre', value: 'late delivery' });
    ms.destroy();
  });

  it('shows the newest record in force; when it expires, the next one in force takes its place', () => {
    const records = mergeLabels(new Map(), [
      { name: 'vip', at: T, channel: 'store', value: 'gold' },
      { name: 'vip', at: T + 1000, channel: 'web', value: 'platinum', expires: T + HOUR },
    ]);
    expect(activeLabels(records, T + 2000)).toEqual([{ name: 'vip', at: T + 1000, channel: 'web', value: 'platinum', expires: T + HOUR }]);
    expect(activeLabels(records, T + HOUR)).toEqual([{ name: 'vip', at: T, channel: 'store', value: 'gold' }]);
  });

  it('a segment stays entered across the hand-over from one channel’s record to another’s', async () => {
    let t = T;
    const config: MicrosegConfig = { schema: 1, version: 'v1', segments: [{ id: 'vips', when: { 'labels.vip': { $exists: true } } }, { id: 'all', fallback: true }] };
    const ms = createMicroseg({ config, autoPage: false, consent: 'denied', now: () => t });
    await ms.ready;
    const exits: string[] = [];
    ms.on('segment:exit', ({ id }) => exits.push(id));
    ms.label('vip', { channel: 'store' });
    t += 1;
    ms.label('vip', { channel: 'web', ttl: 1000 });
    t += 5000;
    ms.track('tick');
    expect(ms.labels()).toMatchObject([{ channel: 'store' }]);
    expect(ms.segments()).toEqual(['vips']);
    expect(exits).not.toContain('vips');
    ms.destroy();
  });
});

describe('order on one device', () => {
  it('label then unlabel in the same millisecond leaves it unset; the reverse leaves it set; the last call wins', async () => {
    const ms = createMicroseg({ autoPage: false, consent: 'denied', now: () => T });
    await ms.ready;
    ms.label('x');
    ms.unlabel('x');
    expect(ms.labels()).toEqual([]);
    ms.label('x', { value: 1 });
    expect(ms.labels()).toMatchObject([{ name: 'x', value: 1 }]);
    ms.label('x', { value: 2 });
    ms.label('x', { value: 3 });
    expect(ms.labels()).toMatchObject([{ name: 'x', value: 3 }]);
    ms.unlabel('x');
    ms.unlabel('x');
    ms.label('x', { value: 4 });
    expect(ms.labels()).toMatchObject([{ name: 'x', value: 4 }]);
    ms.destroy();
  });

  it('a clock that goes back does not let an earlier call win over a later one', async () => {
    let t = T;
    const ms = createMicroseg({ autoPage: false, consent: 'denied', now: () => t });
    await ms.ready;
    ms.label('x');
    t -= 60_000;
    ms.unlabel('x');
    expect(ms.labels()).toEqual([]);
    ms.destroy();
  });

  type Op =
    | { k: 'set'; name: string; channel: string; ttl?: number; value: number }
    | { k: 'unset'; name: string }
    | { k: 'wait'; ms: number };
  const NAMES = ['a', 'constructor', '__proto__'];
  const CHANNELS = ['web', 'email', 'call-centre'];
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ k: fc.constant('set' as const), name: fc.constantFrom(...NAMES), channel: fc.constantFrom(...CHANNELS), ttl: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }), value: fc.integer({ min: 0, max: 9 }) }),
    fc.record({ k: fc.constant('unset' as const), name: fc.constantFrom(...NAMES) }),
    fc.record({ k: fc.constant('wait' as const), ms: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })) }),
  );

  /** The rule, as plainly as it can be said: per channel the last set since the last unset, in force until it expires; the newest shows. */
  function model(ops: Op[]): Array<{ name: string; channel: string; value: number }> {
    let t = 0;
    const sets = new Map<string, { i: number; channel: string; value: number; expires: number }>();
    const unsets = new Map<string, number>();
    ops.forEach((o, i) => {
      if (o.k === 'wait') t += o.ms;
      else if (o.k === 'unset') unsets.set(o.name, i);
      else sets.set(`${o.name}/${o.channel}`, { i, channel: o.channel, value: o.value, expires: o.ttl === undefined ? Infinity : t + o.ttl });
    });
    const out = new Map<string, { i: number; channel: string; value: number }>();
    for (const [key, s] of sets) {
      const name = key.slice(0, key.indexOf('/'));
      if (s.i < (unsets.get(name) ?? -1) || s.expires <= t) continue;
      if ((out.get(name)?.i ?? -1) < s.i) out.set(name, s);
    }
    return [...out].map(([name, s]) => ({ name, channel: s.channel, value: s.value })).sort((x, y) => (x.name < y.name ? -1 : 1));
  }

  it('matches the model of set / unset / expire per channel, with many calls in one millisecond', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        let t = T;
        const ms = createMicroseg({ autoPage: false, consent: 'denied', now: () => t });
        for (const o of ops) {
          if (o.k === 'wait') t += o.ms;
          else if (o.k === 'unset') ms.unlabel(o.name);
          else ms.label(o.name, { channel: o.channel, ttl: o.ttl, value: o.value });
        }
        const seen = ms.labels().map((l) => ({ name: l.name, channel: l.channel, value: l.value as number })).sort((x, y) => (x.name < y.name ? -1 : 1));
        ms.destroy();
        expect(seen).toEqual(model(ops));
      }),
      { numRuns: 150 },
    );
  });
});

describe('convergence', () => {
  const record: fc.Arbitrary<Label> = fc
    .record({
      name: fc.constantFrom('a', 'b', 'toString'),
      at: fc.integer({ min: 0, max: 5 }),
      channel: fc.constantFrom('web', 'email', '*'),
      seq: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      deleted: fc.boolean(),
      expires: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
      value: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    })
    .map((r) => {
      const l: Label = { name: r.name, at: r.at, channel: r.deleted ? r.channel : r.channel === '*' ? 'web' : r.channel };
      if (r.seq !== undefined) l.seq = r.seq;
      if (r.deleted) l.deleted = true;
      else {
        if (r.expires !== undefined) l.expires = r.at + r.expires;
        if (r.value !== undefined) l.value = r.value;
      }
      return l;
    });
  const state = (records: LabelRecords) => [0, 3, 6, 20].map((t) => activeLabels(records, t).sort((x, y) => (x.name < y.name ? -1 : 1)));

  it('every tab ends with the same labels, whatever order the records reach it in and however they are batched', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), fc.integer({ min: 1, max: 5 }), fc.context(), (list, batch, ctx) => {
        const once = mergeLabels(new Map(), list);
        const reversed = [...list].reverse();
        let batched: LabelRecords = new Map();
        for (let i = 0; i < reversed.length; i += batch) batched = mergeLabels(batched, reversed.slice(i, i + batch));
        const twice = mergeLabels(once, recordList(once));
        ctx.log(JSON.stringify(list));
        expect(state(batched)).toEqual(state(once));
        expect(state(twice)).toEqual(state(once));
      }),
      { numRuns: 300 },
    );
  });

  it('a remote answer merges the same on every tab, local records first or after', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 10 }), fc.array(record, { maxLength: 10 }), (local, remote) => {
        const fromBackend = remote.filter((l) => l.channel !== '*').map((l) => ({ ...l, remote: true as const, seq: undefined }));
        const a = mergeRemote(mergeLabels(new Map(), local), fromBackend);
        const b = mergeLabels(mergeRemote(new Map(), fromBackend), local);
        expect(state(a)).toEqual(state(b));
      }),
      { numRuns: 300 },
    );
  });
});

describe('label names that Object.prototype has', () => {
  const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', '__defineGetter__', 'isPrototypeOf'];

  it('are set, read, expired and removed like any other', async () => {
    let t = T;
    const ms = createMicroseg({ autoPage: false, consent: 'denied', now: () => t });
    await ms.ready;
    for (const name of NAMES) ms.label(name, { value: name, ttl: 1000 });
    expect(ms.labels().map((l) => l.name).sort()).toEqual([...NAMES].sort());
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).value).toBeUndefined();
    ms.unlabel('toString');
    expect(ms.labels().map((l) => l.name)).not.toContain('toString');
    t += 1000;
    expect(ms.labels()).toEqual([]);
    ms.destroy();
  });

  it('reach segments through labels.<name>.*', async () => {
    const config: MicrosegConfig = {
      schema: 1, version: 'v1',
      segments: [
        { id: 'c', when: { 'labels.constructor.ageDays': { $lt: 14 } } },
        { id: 's', when: { 'labels.toString.value': 'yes' } },
        { id: 'v', when: { 'labels.valueOf': { $exists: true } } },
        { id: 'h', when: { 'labels.hasOwnProperty.channel': 'email' } },
        { id: 'all', fallback: true },
      ],
    };
    const ms = createMicroseg({ config, autoPage: false, consent: 'denied', now: () => T });
    await ms.ready;
    expect(ms.segments()).toEqual(['all']);
    ms.label('constructor');
    ms.label('toString', { value: 'yes' });
    ms.label('valueOf');
    ms.label('hasOwnProperty', { channel: 'email' });
    expect(ms.segments()).toEqual(['c', 's', 'v', 'h']);
    ms.unlabel('constructor');
    expect(ms.segments()).toEqual(['s', 'v', 'h']);
    ms.destroy();
  });

  it('survive a reload', async () => {
    const first = createMicroseg({ autoPage: false, dbName: 'names', now: () => T });
    await first.ready;
    for (const name of NAMES) first.label(name, { value: { n: name } });
    await first.flush();
    first.destroy();
    const second = createMicroseg({ autoPage: false, dbName: 'names', now: () => T + 1000 });
    await second.ready;
    expect(second.labels().map((l) => [l.name, l.value]).sort()).toEqual(NAMES.map((n) => [n, { n }]).sort());
    second.destroy();
  });

  it('reach other tabs', async () => {
    const a = createMicroseg({ autoPage: false, dbName: 'tabs-names', now: () => T });
    const b = createMicroseg({ autoPage: false, dbName: 'tabs-names', now: () => T });
    await Promise.all([a.ready, b.ready]);
    for (const name of NAMES) a.label(name);
    await vi.waitFor(() => expect(b.labels().map((l) => l.name).sort()).toEqual([...NAMES].sort()));
    a.unlabel('__proto__');
    await vi.waitFor(() => expect(b.labels().map((l) => l.name)).not.toContain('__proto__'));
    a.destroy();
    b.destroy();
  });

  it('arrive from a labels backend', async () => {
    stubBackend(() => ({ labels: NAMES.map((name) => ({ name, at: T - DAY, channel: 'email' })) }));
    const ms = createMicroseg({ labelsUrl: '/api/labels', autoPage: false, now: () => T });
    await ms.ready;
    expect(ms.labels().map((l) => l.name).sort()).toEqual([...NAMES].sort());
    ms.destroy();
  });
});

describe('bad label records', () => {
  const deep = (n: number): unknown => {
    let v: unknown = 'bottom';
    for (let i = 0; i < n; i++) v = { v };
    return v;
  };
  /** Shared references: 10 children per level, 8 levels: 10^8 leaves if expanded. */
  const dag = (fan: number, depth: number): unknown => {
    let v: unknown = 'leaf';
    for (let i = 0; i < depth; i++) v = Array.from({ length: fan }, () => v);
    return v;
  };

  it('are refused one by one with a reason; the good ones are kept', () => {
    const { labels, refused } = readLabels([
      { name: 'deep', at: T, channel: 'email', value: deep(3000) },
      { name: 'huge', at: T, channel: 'email', value: 'x'.repeat(1_000_000) },
      { name: 'wide', at: T, channel: 'email', value: dag(10, 8) },
      { name: 42, at: T },
      { name: ['a'], at: T },
      { name: 'at', at: 'yesterday' },
      { name: 'chan', at: T, channel: 7 },
      { name: 'exp', at: T, expires: '2026-12-01' },
      { name: 'star', at: T, channel: '*' },
      { name: 'nan', at: T, value: { n: NaN } },
      { name: 'seq', at: T, seq: 2 ** 53 },
      'junk',
      { name: 'ok', at: T, channel: 'email', value: deep(8) },
      { name: 'fine', at: T, channel: 'email', value: { list: [1, 'two', null, true] } },
    ]);
    expect(labels.map((l) => l.name)).toEqual(['ok', 'fine']);
    expect(refused).toHaveLength(12);
    expect(refused[0]).toMatch(/deep.*deeper than 8 levels/);
    expect(refused[1]).toMatch(/huge.*larger than 4096/);
  });

  it('records an older version stored are read: its name → label object, its unlabel() ends every channel', async () => {
    const older = {
      vip: { name: 'vip', at: T - 1000, channel: 'web', deleted: true },
      complaint: { name: 'complaint', at: T - 2000, channel: 'call-centre', remote: true, value: 'late' },
      junk: { name: 'junk', at: 'never' },
    };
    const { labels, refused } = readLabels(Object.values(older));
    expect(refused).toHaveLength(1);
    const records = mergeLabels(new Map(), [...labels, { name: 'vip', at: T - 5000, channel: 'store', remote: true }]);
    expect(activeLabels(records, T).map((l) => l.name)).toEqual(['complaint']);
  });

  it('from a backend: one error event, the good records kept, storage and the page’s events untouched', async () => {
    stubBackend(() => ({
      labels: [
        { name: 'deep', at: T - DAY, channel: 'email', value: deep(3000) },
        { name: 'complaint', at: T - DAY, channel: 'call-centre', value: 'late' },
        { name: { toString: 'x' }, at: T },
      ],
    }));
    const ms = createMicroseg({ labelsUrl: '/api/labels', autoPage: false, dbName: 'bad-labels', now: () => T });
    const errors = errorsOf(ms);
    await ms.ready;
    ms.track('after');
    await ms.flush();
    expect(errors.map((e) => e.code)).toEqual(['labels-invalid']);
    expect(errors[0]!.message).toMatch(/2 label record\(s\).*refused.*1 kept/);
    expect(ms.labels()).toMatchObject([{ name: 'complaint', value: 'late' }]);
    expect(ms.storage()).toBe('indexeddb');
    ms.destroy();
    const again = createMicroseg({ autoPage: false, dbName: 'bad-labels', now: () => T + 1 });
    await again.ready;
    expect(again.labels()).toMatchObject([{ name: 'complaint' }]);
    again.destroy();
  });

  it('an answer without a list keeps the labels known', async () => {
    let body: unknown = { labels: [{ name: 'vip', at: T, channel: 'store' }] };
    stubBackend(() => body);
    const ms = createMicroseg({ labelsUrl: '/api/labels', autoPage: false, consent: 'granted', now: () => T });
    const errors = errorsOf(ms);
    await ms.ready;
    body = { error: 'maintenance' };
    ms.identify('u-2');
    await vi.waitFor(() => expect(errors.map((e) => e.code)).toEqual(['labels-invalid']));
    expect(ms.labels()).toMatchObject([{ name: 'vip' }]);
    ms.destroy();
  });

  it('local label() values are bounded the same way, quickly, with a bad-argument error', async () => {
    const ms = createMicroseg({ autoPage: false, consent: 'denied', now: () => T });
    const errors = errorsOf(ms);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const started = performance.now();
    ms.label('deep', { value: deep(9) });
    ms.label('huge', { value: 'x'.repeat(5000) });
    ms.label('wide', { value: dag(10, 7) });
    ms.label('cyclic', { value: cyclic });
    ms.label('map', { value: new Map([['a', 1]]) });
    expect(performance.now() - started).toBeLessThan(200);
    ms.label('ok', { value: { when: new Date(T), tags: ['a', 'b'], nested: deep(7) } });
    expect(errors.map((e) => e.code)).toEqual(['bad-argument', 'bad-argument', 'bad-argument', 'bad-argument', 'bad-argument']);
    expect(ms.labels().map((l) => l.name)).toEqual(['ok']);
    expect((ms.labels()[0]!.value as { when: string }).when).toBe(new Date(T).toISOString());
    ms.destroy();
  });

  it('a value key "__proto__" stays data', async () => {
    const ms = createMicroseg({ autoPage: false, consent: 'denied', now: () => T });
    ms.label('p', { value: JSON.parse('{"__proto__": {"polluted": true}}') });
    const value = ms.labels()[0]!.value as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    ms.destroy();
  });
});
