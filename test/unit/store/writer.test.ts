// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWriter } from '../../../src/store/writer';
import type { IndexedDbBackend } from '../../../src/store/indexeddb';
import type { TrackedEvent } from '../../../src';

const event = (id: string): TrackedEvent => ({ id, type: 'x', ts: 1, seq: 0, props: {}, page: { url: '', path: '', title: '', referrer: '' }, aid: 'a', visit: 1 });

function writerWithLog(cost = 0, ready = () => true, hooks: { write?: () => Promise<void>; committed?: () => void } = {}) {
  const writes: Array<{ events: string[]; keys: string[] }> = [];
  const target = {
    write: async (events: TrackedEvent[], kv: Map<string, unknown>) => {
      await hooks.write?.();
      writes.push({ events: events.map((e) => e.id), keys: [...kv.keys()] });
    },
  } as unknown as IndexedDbBackend;
  let state = 0;
  const writer = createWriter({
    flushDelay: 30,
    derived: () => {
      if (!ready()) return undefined; // nothing to take yet (the engine has no config)
      if (cost) vi.advanceTimersByTime(cost); // taking the state is slow
      return { engine: { state: ++state } };
    },
    target: async () => target,
    current: () => true,
    committed: () => {},
    failed: () => {},
    journal: { write: () => {}, recover: () => [], committed: () => hooks.committed?.(), discard: () => {} },
  });
  writer.on = true;
  return { writer, writes };
}

describe('the write-behind buffer', () => {
  afterEach(() => vi.useRealTimers());

  it('writes every batch of events, the derived records at most once a second while they stream, and the last ones in the end', async () => {
    vi.useFakeTimers();
    const { writer, writes } = writerWithLog();
    for (let i = 0; i < 40; i++) {
      writer.append(event(`e${i}`));
      await vi.advanceTimersByTimeAsync(50); // each event flushed on its own
    }
    expect(writes.flatMap((w) => w.events)).toEqual([...Array(40).keys()].map((i) => `e${i}`));
    const withState = writes.filter((w) => w.keys.includes('engine')).length;
    expect(withState).toBeGreaterThanOrEqual(2); // 2 s of events
    expect(withState).toBeLessThanOrEqual(3);
    const before = writes.length;
    await vi.advanceTimersByTimeAsync(1000); // the state left out of the last flushes
    expect(writes.slice(before)).toEqual([{ events: [], keys: ['engine'] }]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(writes).toHaveLength(before + 1); // nothing more once it is written
  });

  it('writes them less often when taking them is slow (at most 1 % of the time)', async () => {
    vi.useFakeTimers();
    const { writer, writes } = writerWithLog(50);
    for (let i = 0; i < 100; i++) {
      writer.append(event(`e${i}`));
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(writes.flatMap((w) => w.events)).toHaveLength(100);
    const withState = writes.filter((w) => w.keys.includes('engine')).length;
    expect(withState).toBeGreaterThanOrEqual(2); // 10 s of events, every 5 s
    expect(withState).toBeLessThanOrEqual(3);
  });

  it('writes the derived records with every flush() asked for', async () => {
    const { writer, writes } = writerWithLog();
    writer.append(event('a'));
    await writer.flush();
    writer.append(event('b'));
    await writer.flush();
    expect(writes).toEqual([{ events: ['a'], keys: ['engine'] }, { events: ['b'], keys: ['engine'] }]);
  });

  it('a flush that had no derived records to take does not hold the next ones back (the start writes them with its own events)', async () => {
    vi.useFakeTimers();
    let ready = false;
    const { writer, writes } = writerWithLog(0, () => ready);
    writer.append(event('held'));
    await writer.flush(); // storage opened: the engine has no config yet
    ready = true;
    writer.append(event('page'));
    await vi.advanceTimersByTimeAsync(50);
    expect(writes).toEqual([{ events: ['held'], keys: [] }, { events: ['page'], keys: ['engine'] }]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(writes).toHaveLength(2); // no second write a second later
  });

  it('a flush() asked for while a timed flush is writing waits for it, then writes the derived records too', async () => {
    vi.useFakeTimers();
    let release: (() => void) | undefined;
    const { writer, writes } = writerWithLog(0, () => true, { write: () => (release ? new Promise<void>((r) => (release = r)) : Promise.resolve()) });
    writer.append(event('a'));
    await writer.flush(); // derived records written: the next ones are not due for a second
    release = () => {};
    writer.append(event('b'));
    await vi.advanceTimersByTimeAsync(50); // the timed flush is writing 'b' (events only)
    let done = false;
    const flushed = writer.flush().then(() => (done = true));
    release();
    release = undefined;
    await vi.waitFor(() => expect(done).toBe(true));
    await flushed;
    expect(writes).toEqual([{ events: ['a'], keys: ['engine'] }, { events: ['b'], keys: [] }, { events: [], keys: ['engine'] }]);
  });

  it('a flush() asked for as the last one finishes writes what came meanwhile before it resolves', async () => {
    let late = true;
    const { writer, writes } = writerWithLog(0, () => true, {
      committed: () => {
        if (!late) return;
        late = false;
        writer.append(event('late'));
        flushedLate = writer.flush().then(() => writes.map((w) => w.events).flat());
      },
    });
    let flushedLate: Promise<string[]> | undefined;
    writer.append(event('a'));
    await writer.flush();
    expect(await flushedLate).toEqual(['a', 'late']);
  });

  it('a device clock set back does not hold the derived records back while events keep coming', async () => {
    vi.useFakeTimers({ now: Date.UTC(2027, 0, 1) });
    const { writer, writes } = writerWithLog();
    writer.append(event('a'));
    await writer.flush();
    vi.setSystemTime(Date.UTC(2026, 0, 1)); // a year back
    for (let i = 0; i < 30; i++) {
      writer.append(event(`e${i}`));
      await vi.advanceTimersByTimeAsync(100);
    }
    const withState = writes.filter((w) => w.keys.includes('engine')).length;
    expect(withState).toBeGreaterThanOrEqual(3); // the first, then one a second over 3 s
  });

  it('keeps writing where the page took `performance` away', async () => {
    const { writer, writes } = writerWithLog();
    vi.stubGlobal('performance', undefined);
    try {
      writer.append(event('a'));
      await writer.flush();
      expect(writes).toEqual([{ events: ['a'], keys: ['engine'] }]);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
