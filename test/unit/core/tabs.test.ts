// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTabChannel, type TabMessage } from '../../../src/sdk/tabs';
import type { TrackedEvent } from '../../../src';

const event = (id: string): TrackedEvent => ({
  id, type: 'x', ts: 1, seq: 0, props: {}, page: { url: '', path: '', title: '', referrer: '' }, aid: 'a', visit: 1,
});
/** Resolves once `seen` holds `n` messages (the channel delivers asynchronously). */
const until = (seen: unknown[], n: number) => vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(n), { timeout: 5000, interval: 5 });

describe('the tab channel', () => {
  it('delivers a burst of events to the other tabs in one message, not to the sender', async () => {
    const seenA: TabMessage[] = [];
    const seenB: TabMessage[] = [];
    const a = createTabChannel('t1', (m) => seenA.push(m));
    const b = createTabChannel('t1', (m) => seenB.push(m));
    for (let i = 0; i < 100; i++) a.event(event(`e${i}`));
    // A marker posted after the burst's batch (a microtask later): once b has it, the burst has
    // been delivered too, since a channel keeps its messages in order.
    await Promise.resolve();
    a.post({ t: 'forget' });
    await until(seenB, 2);
    expect(seenA).toEqual([]);
    expect(seenB).toHaveLength(2);
    expect((seenB[0] as { events: TrackedEvent[] }).events.map((e) => e.id)).toEqual([...Array(100).keys()].map((i) => `e${i}`));
    a.close();
    b.close();
  });

  describe('in a stream of events (one per task)', () => {
    afterEach(() => vi.useRealTimers());
    const microtask = () => new Promise<void>((r) => queueMicrotask(r));
    const ids = (seen: TabMessage[]) => seen.flatMap((m) => (m.t === 'events' ? m.events.map((e) => e.id) : [m.t]));

    it('posts the first event at once and the rest at the end of the window, in order, before any other message', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const seen: TabMessage[] = [];
      const a = createTabChannel('t3');
      const b = createTabChannel('t3', (m) => seen.push(m));
      for (let i = 0; i < 20; i++) {
        a.event(event(`e${i}`));
        await microtask();
      }
      a.post({ t: 'forget' });
      await until(seen, 3);
      expect(ids(seen)).toEqual([...[...Array(20).keys()].map((i) => `e${i}`), 'forget']);
      expect(seen).toHaveLength(3); // e0; e1…e19 together; the marker
      a.event(event('late'));
      vi.advanceTimersByTime(1000); // the window ends: what waits goes
      await until(seen, 4);
      expect(ids(seen).at(-1)).toBe('late');
      a.close();
      b.close();
    });

    it('posts what waits when it closes, and nothing of it after discard()', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const seen: TabMessage[] = [];
      const a = createTabChannel('t4');
      const b = createTabChannel('t4', (m) => seen.push(m));
      a.event(event('first'));
      await microtask();
      a.event(event('denied'));
      a.discard();
      a.event(event('kept'));
      a.close();
      await until(seen, 2);
      expect(ids(seen)).toEqual(['first', 'kept']);
      b.close();
    });
  });

  it('survives junk from another version and events that cannot be cloned', async () => {
    const seen: TabMessage[] = [];
    const a = createTabChannel('t2', (m) => seen.push(m));
    const raw = new BroadcastChannel('t2');
    raw.postMessage(null);
    raw.postMessage('junk');
    const b = createTabChannel('t2', () => {
      throw new Error('handler bug');
    });
    b.event({ ...event('bad'), props: { fn: () => 1 } as never });
    b.post({ t: 'forget' });
    await until(seen, 1);
    expect(seen).toEqual([{ t: 'forget' }]);
    a.close();
    b.close();
    raw.close();
  });
});
