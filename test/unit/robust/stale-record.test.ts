// Several tabs write the stored aggregates; the last write may come from a tab that had not yet
// heard of the others' newest events. The next page must still count every stored event once.
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { createMicroseg, type MicrosegConfig } from '../../../src';

const config: MicrosegConfig = {
  schema: 1,
  version: 'stale-1',
  metrics: { taps: { event: 'tap', agg: 'count' } },
  segments: [
    { id: 'ten', when: { 'metrics.taps': { $gte: 10 } } },
    { id: 'eleven', when: { 'metrics.taps': { $gte: 11 } } },
    { id: 'over-600', when: { 'metrics.taps': { $gt: 600 } } },
    { id: 'everyone', fallback: true },
  ],
};

const record = async (name: string) => {
  const db = await openDB(name);
  const value = await db.get('kv', 'engine');
  db.close();
  return value;
};
const overwrite = async (name: string, value: unknown) => {
  const db = await openDB(name);
  await db.put('kv', value, 'engine');
  db.close();
};

describe('a stale aggregate record written last', () => {
  it('the next page counts the stored events the record missed, each once', async () => {
    const name = 'stale-record';
    const first = createMicroseg({ config, autoPage: false, dbName: name });
    await first.ready;
    for (let i = 0; i < 5; i++) first.track('tap', { i });
    await first.flush();
    const stale = await record(name); // what a tab that saw only these 5 would write
    for (let i = 5; i < 10; i++) first.track('tap', { i });
    await first.flush();
    expect(first.segments()).toContain('ten');
    first.destroy();
    await overwrite(name, stale); // that tab's write lands last

    const next = createMicroseg({ config, autoPage: false, dbName: name });
    await next.ready;
    expect(next.segments()).toContain('ten');
    expect(next.segments()).not.toContain('eleven');
    next.destroy();
  });

  it('more events in the last minute than the record remembers ids of: none is counted twice', async () => {
    const name = 'busy-record';
    const first = createMicroseg({ config, autoPage: false, dbName: name });
    await first.ready;
    for (let i = 0; i < 600; i++) first.track('tap', { i });
    await first.flush();
    expect(first.segments()).not.toContain('over-600');
    first.destroy();

    const next = createMicroseg({ config, autoPage: false, dbName: name });
    await next.ready;
    expect(next.segments()).not.toContain('over-600');
    next.track('tap');
    expect(next.segments()).toContain('over-600');
    next.destroy();
  });
});
