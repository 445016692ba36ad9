// A start replays the stored events its engine record may lack: only the stored batches it has not
// counted already, and every event exactly once.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createMicroseg, type Microseg, type MicrosegConfig } from '../../../src';
import { createStore } from '../../../src/store';
import { chunksRead } from '../store/chunk-reads';

const T0 = Date.UTC(2026, 10, 23, 10);
const config: MicrosegConfig = {
  schema: 1,
  version: 'r1',
  metrics: { taps: { event: 'tap', agg: 'count' } },
  segments: [
    { id: 'exactly-1200', when: { 'metrics.taps': 1200 } },
    { id: 'counted', when: { 'metrics.taps': { $gte: 0 } } },
    { id: 'everyone', fallback: true },
  ],
};

let open: Microseg[] = [];
async function start(dbName = 'replay'): Promise<Microseg> {
  const ms = createMicroseg({ config, autoPage: false, dbName });
  open.push(ms);
  await ms.ready;
  return ms;
}

/** What the engine counted: the value its segment condition saw. */
const countedTaps = (ms: Microseg) => ms.explain('counted')?.clauses?.[0]?.actual;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  for (const ms of open) ms.destroy();
  open = [];
  vi.useRealTimers();
});

describe('the start replay', () => {
  it('reads only the stored batches the engine record has not counted, and counts every event once', async () => {
    const first = await start();
    for (let i = 0; i < 1200; i++) {
      vi.setSystemTime(T0 + i); // a burst: the record keeps the last ids, the replay reads their batches
      first.track('tap');
    }
    await first.flush();
    first.destroy();

    vi.setSystemTime(T0 + 5_000);
    const second = await start(); // reads the burst's last batches back, once
    await second.flush();
    expect(second.segments()).toContain('exactly-1200');
    second.track('tap'); // a batch of its own, stored after the replay
    await second.flush();
    second.destroy();
    // A batch the record lacks: another tab stored it, and its message never reached the record's tab.
    vi.setSystemTime(T0 + 6_000);
    const otherTab = createStore({ name: 'replay', report: () => {} });
    await otherTab.persist();
    otherTab.append({ id: 'other-tab-tap', type: 'tap', ts: T0 + 6_000, seq: 0, props: {}, page: { url: '', path: '', title: '', referrer: '' }, aid: 'a', visit: 1 });
    await otherTab.flush();
    otherTab.close();

    vi.setSystemTime(T0 + 10_000);
    let third: Microseg | undefined;
    const read = await chunksRead(async () => {
      third = await start();
      await third.flush();
    });
    expect(read).toBe(2); // the second page's own batch and the other tab's, not the burst's again
    expect(countedTaps(third!)).toBe(1202);
  });
});

describe('the start replay, against a count of what was tracked', () => {
  it('pages of bursts and pauses, some closed before their writes: the count is every tap once', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ taps: fc.integer({ min: 0, max: 700 }), pauseMs: fc.integer({ min: 0, max: 120_000 }), flushed: fc.boolean() }), { minLength: 1, maxLength: 4 }),
        async (pages) => {
          const db = `replay-model-${run++}`;
          let now = T0;
          let total = 0;
          for (const page of pages) {
            now += page.pauseMs;
            vi.setSystemTime(now);
            const ms = await start(db);
            for (let i = 0; i < page.taps; i++) {
              vi.setSystemTime(++now);
              ms.track('tap');
            }
            total += page.taps;
            if (page.flushed) await ms.flush(); // else the page closes first: its journal keeps the rest
            ms.destroy();
          }
          vi.setSystemTime(now + 1_000);
          const last = await start(db);
          await last.flush();
          expect(countedTaps(last)).toBe(total);
        },
      ),
      { numRuns: 12 },
    );
  }, 60_000);
});
