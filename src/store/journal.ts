// A journal: what one page holds and has not committed yet, copied synchronously into
// localStorage, because the browser may end the page before IndexedDB commits. The next page
// recovers every journal under the prefix (its own and other tabs') and clears them once it has
// committed their content. Used by the raw events (the store) and the outbox.
import { localKeys, readLocal, removeLocal, writeLocal } from './local';

export interface Journal<T extends { id: string }> {
  /** Replaces this page's journal with what is uncommitted now (nothing: leaves it as it is). */
  write(items: T[]): void;
  /** Everything journals under the prefix hold; they are cleared by the next `committed`. */
  recover(): T[];
  /** What was recovered is committed; `all` when this page has nothing uncommitted left either. */
  committed(all: boolean): void;
  /** Consent denied: every journal under the prefix goes. */
  discard(): void;
}

export function createJournal<T extends { id: string }>(prefix: string): Journal<T> {
  const own = prefix + Math.random().toString(36).slice(2, 10);
  let recovered: string[] = [];
  /** This page's own journal is in storage (a commit removes it; otherwise there is nothing to remove). */
  let written = false;
  const ours = () => localKeys().filter((key) => key.startsWith(prefix));
  return {
    write(items) {
      if (items.length) written = writeLocal(own, items) || written;
    },
    recover() {
      const items: T[] = [];
      for (const key of ours()) {
        const saved = readLocal<T[]>(key);
        if (Array.isArray(saved)) items.push(...saved.filter((m) => m && typeof m.id === 'string'));
        recovered.push(key);
      }
      return items;
    },
    committed(all) {
      if (all && written) {
        removeLocal(own);
        written = false;
      }
      for (const key of recovered.splice(0)) removeLocal(key);
    },
    discard() {
      for (const key of ours()) removeLocal(key);
      recovered = [];
    },
  };
}
