// Work that one tab of a site does at a time (polling the config, holding its stream): a Web Lock
// held for as long as the tab lives, so it passes to a waiting tab as soon as the holder closes,
// crashes or stops. Without Web Locks every tab does the work: it is idempotent, only wasteful.

export interface Lease {
  /** Whether this tab holds the lease now. */
  held(): boolean;
  /** Gives the lease up (or stops waiting for it). */
  release(): void;
}

export function acquireLease(name: string, onChange: (held: boolean) => void): Lease {
  let held = false;
  let stopped = false;
  let letGo: (() => void) | undefined;
  const set = (on: boolean) => {
    if (held === on) return;
    held = on;
    try {
      onChange(on);
    } catch {
      // the work's own failures are reported by the work
    }
  };
  const everyTab = () => queueMicrotask(() => !stopped && set(true));
  let locks: LockManager | undefined;
  try {
    locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  } catch {
    locks = undefined;
  }
  const abort = typeof AbortController === 'function' ? new AbortController() : undefined;
  if (!locks || typeof locks.request !== 'function') everyTab();
  else {
    try {
      locks
        .request(name, abort ? { signal: abort.signal } : {}, () => {
          if (stopped) return;
          set(true);
          return new Promise<void>((resolve) => (letGo = resolve));
        })
        .catch((err: unknown) => {
          // Aborted by release(), or no lock manager here (opaque origins): do the work anyway.
          if ((err as DOMException)?.name !== 'AbortError' && !stopped) set(true);
        });
    } catch {
      everyTab();
    }
  }
  return {
    held: () => held,
    release() {
      if (stopped) return;
      stopped = true;
      abort?.abort();
      letGo?.();
      set(false);
    },
  };
}
