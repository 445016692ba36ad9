import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMicroseg } from '../../../src';

const config = {
  schema: 1 as const,
  version: 'debug-1',
  segments: [
    { id: 'complainers', when: { 'labels.complaint': { $exists: true } } },
    { id: 'everyone', fallback: true },
  ],
  campaigns: [{ id: 'hello', slot: 'hero', segments: ['everyone'], content: { text: 'Hello' } }],
};

function captureGroups() {
  const titles: string[] = [];
  const details: unknown[] = [];
  vi.spyOn(console, 'groupCollapsed').mockImplementation((t: string) => void titles.push(t));
  vi.spyOn(console, 'groupEnd').mockImplementation(() => {});
  vi.spyOn(console, 'log').mockImplementation((d: unknown) => void details.push(d));
  return { titles, details };
}

afterEach(() => {
  vi.restoreAllMocks();
  history.replaceState(null, '', '/');
});

describe('debug mode', () => {
  it('is off by default: nothing is logged', async () => {
    const { titles } = captureGroups();
    const ms = createMicroseg({ config, autoPage: false, dbName: 'debug-off' });
    await ms.ready;
    ms.decide('hero');
    ms.label('complaint');
    expect(titles).toEqual([]);
    ms.destroy();
  });

  it('debug: true logs the config, segment changes with explain, decisions with reasons, labels and errors', async () => {
    const { titles, details } = captureGroups();
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const ms = createMicroseg({ config, autoPage: false, dbName: 'debug-on', debug: true });
    await ms.ready;
    ms.decide('hero');
    await vi.waitFor(() => expect(titles.some((t) => t.startsWith('[microseg] slot hero: hello'))).toBe(true));
    ms.label('complaint');
    await vi.waitFor(() => expect(titles).toContain('[microseg] entered segment complainers'));
    ms.track('' as string);
    expect(titles).toContain('[microseg] config debug-1 in force (from inline)');
    expect(titles).toContain('[microseg] labels: complaint');
    expect(titles.some((t) => t.startsWith('[microseg] error bad-argument:'))).toBe(true);
    // the segment's group holds its explanation
    const i = titles.indexOf('[microseg] entered segment complainers');
    expect(details[i]).toMatchObject({ segment: 'complainers', member: true, clauses: [expect.objectContaining({ pass: true })] });
    ms.destroy();
  });

  it('?microseg_debug=1 in the page URL turns it on; debug: false keeps it off', async () => {
    history.replaceState(null, '', '/?microseg_debug=1');
    const { titles } = captureGroups();
    const off = createMicroseg({ config, autoPage: false, dbName: 'debug-param-off', debug: false });
    await off.ready;
    expect(titles).toEqual([]);
    off.destroy();
    const on = createMicroseg({ config, autoPage: false, dbName: 'debug-param' });
    await on.ready;
    expect(titles.some((t) => t.includes('config debug-1'))).toBe(true);
    on.destroy();
  });
});
