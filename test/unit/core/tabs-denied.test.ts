// A denial or forget() drops what still waits for the other tabs: the channel posts a stream of
// events in windows, and what a visitor kept out of storage must not reach another tab either.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMicroseg } from '../../../src';
import type { TabMessage } from '../../../src/sdk/tabs';

const microtask = () => new Promise<void>((r) => queueMicrotask(r));

/** What the other tabs hear on the SDK's channel, until a forget message arrives. */
function otherTab(name: string) {
  const seen: TabMessage[] = [];
  const channel = new BroadcastChannel(`microseg:${name}`);
  channel.onmessage = (e: MessageEvent<TabMessage>) => seen.push(e.data);
  const heard = () => seen.flatMap((m) => (m.t === 'events' ? m.events.map((e) => e.type) : [m.t]));
  const untilForget = () => vi.waitFor(() => expect(heard()).toContain('forget'), { timeout: 5000, interval: 5 });
  return { heard, untilForget, close: () => channel.close() };
}

describe('events waiting for the other tabs', () => {
  afterEach(() => vi.useRealTimers());

  it('are dropped when consent is denied', async () => {
    const other = otherTab('deny-tabs');
    const ms = createMicroseg({ dbName: 'deny-tabs', consent: 'granted', autoPage: false });
    await ms.ready;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    ms.track('first'); // goes at once
    await microtask();
    ms.track('second'); // waits for the end of the window
    ms.consent('denied');
    vi.advanceTimersByTime(1000);
    vi.useRealTimers();
    await ms.forget(); // its message comes after anything the window would have sent
    await other.untilForget();
    expect(other.heard()).toEqual(['first', 'forget']);
    ms.destroy();
    other.close();
  });

  it('are dropped by forget()', async () => {
    const other = otherTab('forget-tabs');
    const ms = createMicroseg({ dbName: 'forget-tabs', consent: 'granted', autoPage: false });
    await ms.ready;
    ms.track('first');
    await microtask();
    ms.track('second');
    await ms.forget();
    await other.untilForget();
    expect(other.heard()).toEqual(['first', 'forget']);
    ms.destroy();
    other.close();
  });
});
