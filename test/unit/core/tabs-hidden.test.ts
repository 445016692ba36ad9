// @vitest-environment happy-dom
import { afterEach, expect, it, vi } from 'vitest';
import { createTabChannel, type TabMessage } from '../../../src/sdk/tabs';
import type { TrackedEvent } from '../../../src';

const event = (id: string): TrackedEvent => ({
  id, type: 'x', ts: 1, seq: 0, props: {}, page: { url: '', path: '', title: '', referrer: '' }, aid: 'a', visit: 1,
});

afterEach(() => {
  vi.useRealTimers();
  delete (document as { visibilityState?: string }).visibilityState;
});

it('posts the events that wait for the end of the window as soon as the page is hidden', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const seen: TabMessage[] = [];
  const a = createTabChannel('hidden-1');
  const b = createTabChannel('hidden-1', (m) => seen.push(m));
  a.event(event('first'));
  await new Promise<void>((r) => queueMicrotask(r)); // posted: the window begins
  a.event(event('waits'));
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
  await vi.waitFor(() => expect(seen).toHaveLength(2), { timeout: 5000, interval: 5 });
  expect(seen.flatMap((m) => (m.t === 'events' ? m.events.map((e) => e.id) : []))).toEqual(['first', 'waits']);
  a.close();
  b.close();
});
