// Where the store keeps things now: memory until consent, IndexedDB from `persist()` once it is
// open, memory again (with one error) when IndexedDB cannot be used. Writes to IndexedDB wait in
// the writer; reads go to memory until IndexedDB is open, so an old tab blocking it holds nothing.
import type { TrackedEvent } from '../shared/types';
import { describe, type Reporter, type RuntimeErrorCode } from '../shared/errors';
import { createMemoryBackend, type Backend } from './backend';
import { createIndexedDbBackend, type IndexedDbBackend } from './indexeddb';
import { idbFactory } from './idb';
import { createJournal } from './journal';
import { createWriter } from './writer';

export interface PlaceOptions {
  name: string;
  report: Reporter;
  maxEvents: number;
  /** Raw events older than this go. */
  cutoff: () => number;
  flushDelay: number;
  derived?: () => Record<string, unknown> | undefined;
  /** These records are committed to IndexedDB. */
  committed: (keys: Iterable<string>) => void;
  /** IndexedDB is given up: memory holds everything again. */
  left: () => void;
}

export function createPlace(options: PlaceOptions) {
  const { name, report, maxEvents } = options;
  /** Holds everything until consent, and when IndexedDB fails. */
  let memory = createMemoryBackend(maxEvents);
  /** IndexedDB while storing is allowed (from `persist()`), open or opening. */
  let idb: IndexedDbBackend | null = null;
  /** Where reads go. */
  let backend: Backend = memory;
  let persisting = false;
  const journal = createJournal<TrackedEvent>('journal:');
  const writer = createWriter({
    flushDelay: options.flushDelay,
    derived: options.derived,
    target: () => opened(),
    current: (target) => idb === target,
    committed: options.committed,
    failed: (failure) => fallBackToMemory(failure.code, failure.message, failure.cause),
    journal,
  });

  function setPersisting(value: boolean): void {
    persisting = writer.on = value;
  }

  function fallBackToMemory(code: RuntimeErrorCode, message: string, cause?: unknown): void {
    const held = writer.take();
    void memory.write(held.events, held.kv);
    setPersisting(false);
    idb?.close();
    idb = null;
    backend = memory;
    options.left();
    report({ code, message: `${message}; microseg keeps working in memory`, cause });
  }

  /** Another tab erased the device: nothing more is stored here (its message to forget follows). */
  function leave(): void {
    stop(true);
    options.left();
  }

  /** IndexedDB once open (null when it failed and memory took over, or storing stopped). */
  async function opened(): Promise<IndexedDbBackend | null> {
    const target = idb;
    if (!target) return null;
    try {
      await target.open();
      return idb === target ? target : null;
    } catch (cause) {
      if (idb === target) fallBackToMemory('storage-unavailable', `IndexedDB could not be opened (${describe(cause)})`, cause);
      return null;
    }
  }

  /** Storing stops: what waits to be written goes (and, `fresh`, what memory holds). Returns IndexedDB, still open. */
  function stop(fresh: boolean): IndexedDbBackend | null {
    const target = idb;
    setPersisting(false);
    writer.take();
    idb = null;
    if (fresh) memory = createMemoryBackend(maxEvents);
    backend = memory;
    return target;
  }

  return {
    writer,
    journal,
    opened,
    get memory(): Backend & { take: typeof memory.take } {
      return memory;
    },
    get backend(): Backend {
      return backend;
    },
    /** IndexedDB, open and where reads go. */
    get durable(): IndexedDbBackend | null {
      return idb && backend === idb ? idb : null;
    },
    get persisting(): boolean {
      return persisting;
    },
    /** Consent granted: IndexedDB from now on; false when it is missing here (memory says so). */
    begin(): boolean {
      setPersisting(true);
      const factory = idbFactory();
      if (!factory) {
        fallBackToMemory('storage-unavailable', 'IndexedDB is not available here');
        return false;
      }
      const deleted = () => {
        if (idb === target) leave();
      };
      const target = createIndexedDbBackend({ factory, name, report, cutoff: options.cutoff, maxEvents, deleted });
      idb = target;
      return true;
    },
    /** IndexedDB is open: reads go to it; false when storing stopped meanwhile (another tab erased the device). */
    use(target: IndexedDbBackend): boolean {
      if (idb !== target) return false;
      backend = target;
      return true;
    },
    stop,
  };
}
