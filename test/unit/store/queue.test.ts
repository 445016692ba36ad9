// The store's queue (the outbox's storage) and the journal both the outbox and the raw events use.
import { describe, expect, it, vi } from 'vitest';
import { createStore } from '../../../src/store';
import { createJournal } from '../../../src/store/journal';

const msg = (i: number) => ({ id: `m${i}`, ts: 1000 + i });

describe('the queue', () => {
  it('in memory before consent: oldest first, bounded, and not durable', async () => {
    const store = createStore({ name: 'q-memory', report: () => {} });
    expect(await store.outbox.append([msg(2), msg(1), msg(3)], 2)).toEqual({ dropped: 1, durable: false });
    expect((await store.outbox.peek(10)).map((m) => m.id)).toEqual(['m1', 'm3']);
    await store.outbox.remove(['m1']);
    expect((await store.outbox.peek(10)).map((m) => m.id)).toEqual(['m3']);
    expect((await indexedDB.databases()).map((d) => d.name)).toEqual([]);
  });

  it('in IndexedDB once persisted: oldest first by time, bounded, durable; erase empties it', async () => {
    const store = createStore({ name: 'q-idb', report: () => {} });
    await store.persist();
    expect(await store.outbox.append([msg(3), msg(1), msg(2)], 2)).toEqual({ dropped: 1, durable: true });
    expect((await store.outbox.peek(10)).map((m) => m.id)).toEqual(['m2', 'm3']);
    await store.outbox.remove(['m2']);
    expect((await store.outbox.peek(10)).map((m) => m.id)).toEqual(['m3']);
    store.discard();
    await store.outbox.erase();
    await store.persist();
    expect(await store.outbox.peek(10)).toEqual([]);
    store.close();
  });

  it('erasing never creates a database', async () => {
    const store = createStore({ name: 'q-none', report: () => {} });
    await store.outbox.erase();
    expect((await indexedDB.databases()).map((d) => d.name)).toEqual([]);
  });
});

describe('the journal', () => {
  it('keeps what a page left for the next one, and clears it once committed', () => {
    const first = createJournal<{ id: string }>('test:');
    first.write([{ id: 'a' }]);
    first.write([]); // nothing uncommitted: the last copy stays
    const next = createJournal<{ id: string }>('test:');
    expect(next.recover()).toEqual([{ id: 'a' }]);
    next.write([{ id: 'b' }]);
    next.committed(false);
    expect(createJournal('test:').recover()).toEqual([{ id: 'b' }]);
    next.committed(true);
    expect(createJournal('test:').recover()).toEqual([]);
  });

  it('discard drops every journal under its prefix, and only those', () => {
    createJournal('test:').write([{ id: 'a' }]);
    createJournal('other:').write([{ id: 'b' }]);
    createJournal('test:').discard();
    expect(createJournal('test:').recover()).toEqual([]);
    expect(createJournal('other:').recover()).toEqual([{ id: 'b' }]);
  });

  it('touches storage on a commit only for journals that exist (every flush commits)', () => {
    const journal = createJournal<{ id: string }>('quiet:');
    const removed = vi.spyOn(localStorage, 'removeItem');
    try {
      for (let i = 0; i < 5; i++) journal.committed(true); // nothing was ever journaled
      expect(removed).not.toHaveBeenCalled();
      journal.write([{ id: 'a' }]);
      journal.committed(true);
      journal.committed(true);
      expect(removed).toHaveBeenCalledTimes(1);
      expect(createJournal('quiet:').recover()).toEqual([]);
    } finally {
      removed.mockRestore();
    }
  });
});
