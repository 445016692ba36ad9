// Journey steps over a fake clock: setTimeout and Date are fake, IndexedDB (setImmediate) is real.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMicroseg, type Microseg, type MicrosegConfig } from '../../../src';
import { createJourneys, type JourneyExposure, type JourneyOutcome, type JourneyState } from '../../../src/measure';
import { chunksRead } from '../store/chunk-reads';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 23, 10);

const config: MicrosegConfig = {
  schema: 1,
  version: 'j1',
  metrics: { orders: { event: 'purchase', agg: 'count' } },
  segments: [
    { id: 'buyers', when: { 'metrics.orders': { $gte: 1 } } },
    { id: 'everyone', fallback: true },
  ],
  campaigns: [
    { id: 'welcome', slot: 'hero', segments: ['everyone'], holdout: 0.5, content: { text: 'Welcome' } },
  ],
  journeys: [
    { id: 'welcome-step', exposure: 'welcome', goal: { event: 'purchase', where: { value: { $gte: 100 } } }, within: '3d' },
    { id: 'browse-step', exposure: { event: 'view_item', where: { category: 'bags' } }, goal: { event: 'add_to_cart' }, within: '1h' },
  ],
};

let open: Microseg[] = [];
function start(name = 'journeys'): { ms: Microseg; outcomes: JourneyOutcome[]; exposures: JourneyExposure[] } {
  const ms = createMicroseg({ config, autoPage: false, dbName: name });
  const outcomes: JourneyOutcome[] = [];
  const exposures: JourneyExposure[] = [];
  ms.on('journey:outcome', (o) => outcomes.push(o));
  ms.on('journey:exposure', (x) => exposures.push(x));
  open.push(ms);
  return { ms, outcomes, exposures };
}

/** Real time for IndexedDB to answer, fake time standing still. */
async function settle(done: () => boolean, rounds = 200): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) await new Promise((r) => setImmediate(r));
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  for (const ms of open) ms.destroy();
  open = [];
  vi.useRealTimers();
});

const expose = (ms: Microseg, control = false) => ms.track('$exposure', { campaign: 'welcome', slot: 'hero', control });

describe('journey steps', () => {
  it('a goal just inside the window is a progression, with the segments at exposure time', async () => {
    const { ms, outcomes } = start();
    await ms.ready;
    expose(ms);
    vi.setSystemTime(T0 + 3 * DAY); // the last moment of the window
    ms.track('purchase', { value: 50 }); // not the goal: the condition fails
    await settle(() => outcomes.length > 0, 50);
    expect(outcomes).toEqual([]);
    ms.track('purchase', { value: 120 });
    await settle(() => outcomes.length > 0);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({
      journey: 'welcome-step', campaign: 'welcome', outcome: 'progression', at: T0, until: T0 + 3 * DAY,
      goalAt: T0 + 3 * DAY, segments: ['everyone'], control: false,
    });
  });

  it('a goal just outside the window is an aversion', async () => {
    const { ms, outcomes } = start();
    await ms.ready;
    expose(ms, true);
    vi.setSystemTime(T0 + 3 * DAY + 1);
    ms.track('purchase', { value: 120 });
    await settle(() => outcomes.length > 0);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ journey: 'welcome-step', outcome: 'aversion', control: true });
    expect(outcomes[0]!.goal).toBeUndefined();
  });

  it('a timer closes the window while the page stays open', async () => {
    const { ms, outcomes } = start();
    await ms.ready;
    ms.track('view_item', { category: 'bags' });
    ms.track('view_item', { category: 'bags' }); // the window is open: not a second exposure
    await vi.advanceTimersByTimeAsync(HOUR - 1);
    await settle(() => outcomes.length > 0, 20);
    expect(outcomes).toEqual([]);
    await vi.advanceTimersByTimeAsync(2);
    await settle(() => outcomes.length > 0);
    expect(outcomes.map((o) => [o.journey, o.outcome])).toEqual([['browse-step', 'aversion']]);
    expect(ms.segments()).toEqual(['everyone']);
  });

  it('a page closed during the window is settled by the next page: aversion, or progression from its stored goal', async () => {
    const first = start();
    await first.ms.ready;
    expose(first.ms);
    first.ms.track('view_item', { category: 'bags' });
    vi.setSystemTime(T0 + 30 * 60_000);
    first.ms.track('add_to_cart', {}); // progression of browse-step on this page
    await settle(() => first.outcomes.length > 0);
    await first.ms.flush();
    first.ms.destroy();
    expect(first.outcomes.map((o) => o.journey)).toEqual(['browse-step']);

    vi.setSystemTime(T0 + 4 * DAY); // nobody was there when the welcome window closed
    const next = start();
    await next.ms.ready;
    await settle(() => next.outcomes.length > 0);
    expect(next.outcomes.map((o) => [o.journey, o.outcome, o.at])).toEqual([['welcome-step', 'aversion', T0]]);

    // A third page settles nothing again.
    await next.ms.flush();
    next.ms.destroy();
    const third = start();
    await third.ms.ready;
    await settle(() => false, 50);
    expect(third.outcomes).toEqual([]);
  });

  it('a page closed during the window, whose goal came on a later page, counts as a progression', async () => {
    const first = start();
    await first.ms.ready;
    expose(first.ms);
    await first.ms.flush();
    first.ms.destroy();

    vi.setSystemTime(T0 + DAY);
    const next = start();
    await next.ms.ready;
    next.ms.track('purchase', { value: 300 });
    await settle(() => next.outcomes.length > 0);
    expect(next.outcomes.map((o) => [o.journey, o.outcome, o.goalAt])).toEqual([['welcome-step', 'progression', T0 + DAY]]);
  });

  it('a goal reached in another tab settles the window at once, once', async () => {
    const a = start('tabs');
    const b = start('tabs');
    await Promise.all([a.ms.ready, b.ms.ready]);
    expose(a.ms);
    await settle(() => a.exposures.length > 0);
    vi.setSystemTime(T0 + 2 * DAY);
    b.ms.track('purchase', { value: 150 }); // tab B never saw the exposure itself
    await settle(() => a.outcomes.length + b.outcomes.length > 0);
    await settle(() => false, 50);
    const all = [...a.outcomes, ...b.outcomes];
    expect(all.map((o) => [o.journey, o.outcome, o.goalAt])).toEqual([['welcome-step', 'progression', T0 + 2 * DAY]]);
    await vi.advanceTimersByTimeAsync(DAY + 1); // the window's end settles nothing more
    await settle(() => false, 50);
    expect(a.outcomes.length + b.outcomes.length).toBe(1);
  });

  it('a reload an hour later while the window is open, then a purchase: one exposure, one outcome', async () => {
    const first = start();
    expose(first.ms); // before ready: the snippet replays calls, the first paint records exposures
    await first.ms.ready;
    await settle(() => first.exposures.length > 0);
    await first.ms.flush();
    first.ms.destroy();

    vi.setSystemTime(T0 + HOUR);
    const next = start();
    expose(next.ms); // the campaign is shown again before the stored windows are read
    await next.ms.ready;
    next.ms.track('purchase', { value: 200 });
    await settle(() => next.outcomes.length > 0);
    await settle(() => false, 50);
    const exposures = [...first.exposures, ...next.exposures];
    expect(exposures.map((x) => [x.journey, x.at])).toEqual([['welcome-step', T0]]);
    expect(next.outcomes.map((o) => [o.key, o.outcome])).toEqual([[exposures[0]!.key, 'progression']]);
  });

  it('two tabs showing the campaign at once open one window; the exposure after it closed opens the next', async () => {
    const a = start('two');
    const b = start('two');
    await Promise.all([a.ms.ready, b.ms.ready]);
    expose(a.ms);
    expose(b.ms);
    await settle(() => a.exposures.length + b.exposures.length > 1, 100);
    expect([...a.exposures, ...b.exposures]).toHaveLength(1);

    vi.setSystemTime(T0 + HOUR);
    b.ms.track('purchase', { value: 500 });
    await settle(() => a.outcomes.length + b.outcomes.length > 0);
    expose(a.ms); // a new window: the last one ended with the purchase
    await settle(() => a.exposures.length + b.exposures.length > 1);
    await settle(() => false, 50);
    expect([...a.outcomes, ...b.outcomes].map((o) => o.outcome)).toEqual(['progression']);
    expect([...a.exposures, ...b.exposures].map((x) => x.at)).toEqual([T0, T0 + HOUR]);
  });

  it('flush() resolves once what was tracked before it has opened its windows (the page may go right after)', async () => {
    const { ms, exposures } = start();
    await ms.ready;
    expose(ms);
    ms.track('view_item', { category: 'bags' });
    await ms.flush();
    expect(exposures.map((x) => x.journey)).toEqual(['welcome-step', 'browse-step']);
  });

  it('events tracked together change the stored windows in one transaction, in order', async () => {
    const { ms, exposures, outcomes } = start('journeys-batch');
    await ms.ready;
    await ms.flush();
    const reads = vi.spyOn(IDBObjectStore.prototype, 'get');
    for (let i = 0; i < 20; i++) ms.track('view_item', { category: 'bags', i });
    ms.track('add_to_cart');
    await ms.flush();
    const journeyReads = reads.mock.calls.filter(([key]) => key === 'journeys').length;
    vi.restoreAllMocks();
    expect(journeyReads).toBeLessThanOrEqual(2);
    // One window opened by the first view; the cart settles it.
    expect(exposures.map((x) => x.journey)).toEqual(['browse-step']);
    await settle(() => outcomes.length > 0);
    expect(outcomes.map((o) => [o.journey, o.outcome])).toEqual([['browse-step', 'progression']]);
  });

  it('a page that only reads the stored windows writes nothing back', async () => {
    const first = start('journeys-quiet');
    await first.ms.ready;
    expose(first.ms); // an open window is stored
    await first.ms.flush();
    first.ms.destroy();
    const puts = vi.spyOn(IDBObjectStore.prototype, 'put');
    const transactions = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const next = start('journeys-quiet');
    await next.ms.ready;
    await settle(() => false, 100); // the start's scan of the stored events too
    await next.ms.flush();
    const journeyPuts = puts.mock.calls.filter(([, key]) => key === 'journeys').length;
    // Reading takes no read-write transaction of its own (it would queue behind every write, and they behind it).
    const recordWrites = transactions.mock.calls.filter(([scope, mode]) => String(scope) === 'kv' && mode === 'readwrite').length;
    vi.restoreAllMocks();
    expect(journeyPuts).toBe(0);
    expect(recordWrites).toBe(0);
    // The window is still there: a goal on this page settles it.
    next.ms.track('purchase', { value: 150 });
    await next.ms.flush();
    await settle(() => next.outcomes.length > 0);
    expect(next.outcomes.map((o) => [o.journey, o.outcome])).toEqual([['welcome-step', 'progression']]);
  });
});

describe('the start of a page with an open window', () => {
  it('reads the stored windows once: the scan right after the config takes the windows just read', async () => {
    const first = start('journeys-once');
    await first.ms.ready;
    expose(first.ms);
    await first.ms.flush();
    first.ms.destroy();
    const gets = vi.spyOn(IDBObjectStore.prototype, 'get');
    const indexReads = [vi.spyOn(IDBIndex.prototype, 'getAll'), vi.spyOn(IDBIndex.prototype, 'getAllKeys')];
    const next = start('journeys-once');
    await next.ms.ready;
    // The stored events read twice: by the start's replay, then by the journeys' scan, which has its windows by then.
    await settle(() => indexReads.reduce((n, s) => n + s.mock.calls.length, 0) >= 2);
    await next.ms.flush();
    const reads = gets.mock.calls.filter(([key]) => key === 'journeys').length;
    vi.restoreAllMocks();
    expect(reads).toBe(0); // the first read is the start's copy of every record
    next.ms.track('purchase', { value: 150 }); // the window is still open here
    await next.ms.flush();
    await settle(() => next.outcomes.length > 0);
    expect(next.outcomes.map((o) => [o.journey, o.outcome])).toEqual([['welcome-step', 'progression']]);
  });
});

describe('settling from stored events', () => {
  it('a history of more batches than are listed leaves no list behind (the next scan reads them all)', async () => {
    const open: JourneyExposure = { key: 'welcome-step:e1', journey: 'welcome-step', exposure: 'e1', at: T0, until: T0 + 3 * DAY, segments: [], control: false };
    const stored: JourneyState = { open: [open], settled: {}, closed: {} };
    const saved: unknown[] = [];
    const batches = (n: number) => Array.from({ length: n }, (_, i) => `batch-${i}`);
    let count = 1000;
    const journeys = createJourneys({
      now: () => T0 + DAY,
      segments: () => [],
      events: async () => ({ events: [], batches: batches(count) }),
      scanned: async () => undefined,
      saveScan: (scan) => saved.push(scan),
      update: async (change) => (change(stored), true),
      read: async () => stored,
      onExposure: () => {},
      onOutcome: () => {},
      onError: (cause) => { throw cause; },
    });
    await journeys.setConfig(config);
    expect(saved).toHaveLength(1); // 1,000 batches: listed
    count = 1001;
    await journeys.check();
    expect(saved).toHaveLength(1); // one more: not listed
    journeys.stop();
  });

  it('a stored scan in a shape this version does not know is read past: every batch is read, no error', async () => {
    const name = 'journeys-odd-scan';
    const first = start(name);
    await first.ms.ready;
    expose(first.ms);
    await first.ms.flush();
    first.ms.destroy();
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(name);
      req.onsuccess = () => {
        const tx = req.result.transaction('kv', 'readwrite');
        tx.objectStore('kv').put({ batches: 'not a list', windows: 7 }, 'journeysScan');
        tx.oncomplete = () => (req.result.close(), resolve());
        tx.onerror = () => reject(tx.error);
      };
    });
    vi.setSystemTime(T0 + 4 * DAY); // the window closed while no page was open
    const next = start(name);
    const errors: string[] = [];
    next.ms.on('error', (e) => errors.push(e.code));
    await next.ms.ready;
    await settle(() => next.outcomes.length > 0);
    expect(next.outcomes.map((o) => [o.journey, o.outcome])).toEqual([['welcome-step', 'aversion']]);
    expect(errors).toEqual([]);
  });

  it('a start reads only the stored events no earlier start checked against its windows', async () => {
    const name = 'journeys-incremental';
    const first = start(name);
    await first.ms.ready;
    expose(first.ms); // a 3-day window opens
    for (let i = 0; i < 1200; i++) first.ms.track('view_item', { category: 'shoes', i });
    await first.ms.flush();
    first.ms.destroy();

    vi.setSystemTime(T0 + HOUR);
    const second = start(name); // checks the stored events against the window once
    await second.ms.ready;
    await settle(() => false, 100);
    await second.ms.flush();
    second.ms.destroy();

    vi.setSystemTime(T0 + 2 * HOUR);
    const third = start(name);
    const read = await chunksRead(async () => {
      await third.ms.ready;
      await settle(() => false, 100);
      await third.ms.flush();
    });
    expect(read).toBe(0);
    third.ms.destroy();

    // A goal stored since, by a page that settled nothing (it had no journeys): the next start reads it.
    vi.setSystemTime(T0 + 3 * HOUR);
    const quiet = createMicroseg({ config: { ...config, journeys: [] }, autoPage: false, dbName: name });
    open.push(quiet);
    await quiet.ready;
    quiet.track('purchase', { value: 200 });
    await quiet.flush();
    quiet.destroy();

    vi.setSystemTime(T0 + 4 * HOUR);
    const fourth = start(name);
    await fourth.ms.ready;
    await settle(() => fourth.outcomes.length > 0);
    expect(fourth.outcomes.map((o) => [o.journey, o.outcome, o.goalAt])).toEqual([['welcome-step', 'progression', T0 + 3 * HOUR]]);
  });
});
