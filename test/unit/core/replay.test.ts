// A start replays the stored events its engine record may lack: only the stored batches it has not
// counted already, and every event exactly once.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMicroseg, type Microseg, type MicrosegConfig } from '../../../src';

const T0 = Date.UTC(2026, 10, 23, 10);
const config: MicrosegConfig = {
  schema: 1,
  version: 'r1',
  metrics: { taps: { event: 'tap', agg: 'count' } },
  segments: [
    { id: 'exactly-1200', when: { 'metrics.taps': 1200 } },
    { id: 'exactly-1201', when: { 'metrics.taps': 1201 } },
    { id: 'everyone', fallback: true },
  ],
};

let open: Microseg[] = [];
async function start(): Promise<Microseg> {
  const ms = createMicroseg({ config, autoPage: false, dbName: 'replay' });
  open.push(ms);
  await ms.ready;
  return ms;
}

/** Stored event batches (chunks) whose values are read while `during` runs. */
async function chunksRead(during: () => Promise<void>): Promise<number> {
  let read = 0;
  const count = (req: IDBRequest) => req.addEventListener('success', () => (read += Array.isArray(req.result) ? req.result.length : req.result ? 1 : 0));
  const { get } = IDBObjectStore.prototype;
  const { getAll } = IDBIndex.prototype;
  vi.spyOn(IDBObjectStore.prototype, 'get').mockImplementation(function (this: IDBObjectStore, key) {
    const req = get.call(this, key);
    if (this.name === 'chunks') count(req);
    return req;
  });
  vi.spyOn(IDBIndex.prototype, 'getAll').mockImplementation(function (this: IDBIndex, query, n) {
    const req = getAll.call(this, query, n);
    if (this.objectStore.name === 'chunks') count(req);
    return req;
  });
  await during();
  vi.restoreAllMocks();
  return read;
}

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

    vi.setSystemTime(T0 + 10_000);
    let third: Microseg | undefined;
    const read = await chunksRead(async () => {
      third = await start();
      await third.flush();
    });
    expect(read).toBe(1); // the second page's own batch, not the burst's again
    expect(third!.segments()).toContain('exactly-1201');
  });
});
