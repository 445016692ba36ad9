// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import { acquireLease } from '../../../src/config/lease';

const tick = () => new Promise((r) => setTimeout(r, 10));

/** A minimal exclusive LockManager: one holder per name, waiters in order. */
function fakeLocks() {
  const queues = new Map<string, Array<() => void>>();
  return {
    request(name: string, opts: { signal?: AbortSignal }, cb: () => unknown) {
      return new Promise((resolve, reject) => {
        const q = queues.get(name) ?? [];
        queues.set(name, q);
        const run = async () => {
          try {
            resolve(await cb());
          } finally {
            q.shift();
            q[0]?.();
          }
        };
        opts.signal?.addEventListener('abort', () => {
          const i = q.indexOf(run);
          if (i > 0) (q.splice(i, 1), reject(new DOMException('aborted', 'AbortError')));
        });
        q.push(run);
        if (q.length === 1) run();
      });
    },
  };
}

describe('the lease for one-tab work', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('goes to one holder at a time and passes on when the holder releases (the tab closes)', async () => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    const log: string[] = [];
    const a = acquireLease('x', (on) => log.push(`a:${on}`));
    const b = acquireLease('x', (on) => log.push(`b:${on}`));
    const c = acquireLease('x', (on) => log.push(`c:${on}`));
    await tick();
    expect([a.held(), b.held(), c.held()]).toEqual([true, false, false]);
    c.release(); // stops waiting
    a.release();
    await tick();
    expect(log).toEqual(['a:true', 'a:false', 'b:true']);
    expect(b.held()).toBe(true);
    b.release();
  });

  it('without Web Locks (or when requesting throws) every tab does the work', async () => {
    vi.stubGlobal('navigator', {});
    const a = acquireLease('y', () => {});
    vi.stubGlobal('navigator', { locks: { request: () => { throw new Error('SecurityError'); } } });
    const b = acquireLease('y', () => {
      throw new Error('a handler bug stays inside');
    });
    await tick();
    expect([a.held(), b.held()]).toEqual([true, true]);
  });
});
