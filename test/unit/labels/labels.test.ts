import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { createMicroseg } from '../../../src';
import { activeLabels, clockOffset, EVERY_CHANNEL, mergeLabels, mergeRemote, nextExpiry, parseRemoteLabels, pruneLabels, type Label, type LabelRecords } from '../../../src/labels';

const DAY = 86_400_000;
const T = Date.UTC(2026, 10, 23, 10);
const shop = JSON.parse(readFileSync('examples/shop.config.json', 'utf8'));

const names = (records: LabelRecords, t: number) => activeLabels(records, t).map((l) => l.name).sort();

describe('merging labels', () => {
  it('newest record wins per name and channel; an unlabel beats older sets on every channel and loses to newer ones', () => {
    const local = mergeLabels(new Map(), [{ name: 'vip', at: T, channel: 'web' }]);
    const remote: Label[] = [
      { name: 'vip', at: T - 1000, channel: 'store', remote: true, deleted: true },
      { name: 'complaint', at: T + 5, channel: 'call-centre', remote: true },
    ];
    const merged = mergeRemote(local, remote);
    expect(activeLabels(merged, T + 10).find((l) => l.name === 'vip')).toMatchObject({ channel: 'web' }); // the store's unlabel ends the store's record only
    expect(names(merged, T + 10)).toEqual(['complaint', 'vip']);
    const unset = mergeRemote(merged, [{ name: 'vip', at: T + 20, channel: 'web', remote: true, deleted: true }, remote[1]!]);
    expect(names(unset, T + 30)).toEqual(['complaint']);
    // a local unlabel after the remote set wins over it on the next fetch too
    const local2 = mergeLabels(unset, [{ name: 'complaint', at: T + 40, channel: EVERY_CHANNEL, deleted: true, seq: 1 }]);
    expect(activeLabels(mergeRemote(local2, [remote[1]!]), T + 50)).toEqual([]);
  });

  it('a remote label the backend no longer lists is gone; local ones stay', () => {
    const records = mergeRemote(mergeLabels(new Map(), [{ name: 'mine', at: T, channel: 'web' }]), [{ name: 'theirs', at: T, channel: 'email', remote: true }]);
    expect([...mergeRemote(records, []).keys()]).toEqual(['mine']);
  });

  it('expired labels are not in force; expiry and old tombstones are found and pruned', () => {
    const records = mergeLabels(new Map(), [
      { name: 'a', at: T, channel: 'web', expires: T + 1000 },
      { name: 'b', at: T, channel: 'web', expires: T + 500 },
      { name: 'gone', at: T - 40 * DAY, channel: EVERY_CHANNEL, deleted: true },
    ]);
    expect(nextExpiry(records, T)).toBe(T + 500);
    expect(nextExpiry(records, T + 500)).toBe(T + 1000);
    expect(names(records, T + 600)).toEqual(['a']);
    expect([...pruneLabels(records, T).keys()]).toEqual(['a', 'b']);
  });
});

describe('the server clock', () => {
  it('moves server timestamps onto the device clock', () => {
    // device 90 s behind the server; request took 200 ms
    const offset = clockOffset(T + 90_000 + 100, T, T + 200);
    expect(offset).toBe(90_000);
    const { labels: [l] } = parseRemoteLabels({ labels: [{ name: 'complaint', at: T + 90_000 - DAY, channel: 'call-centre', expires: T + 90_000 + DAY, value: 'late' }] }, offset);
    expect(l).toEqual({ name: 'complaint', at: T - DAY, channel: 'call-centre', expires: T + DAY, value: 'late', remote: true });
  });

  it('ignores skew within the Date header’s resolution, and refuses malformed labels one by one', () => {
    expect(clockOffset(T + 400, T, T)).toBe(0);
    expect(clockOffset(undefined, T, T)).toBe(0);
    const parsed = parseRemoteLabels({ labels: [{ name: 'bad name', at: 1 }, { name: 'x' }, null, { name: 'ok', at: 5, channel: 'email', deleted: true, value: 1 }] }, 0);
    expect(parsed.labels).toEqual([{ name: 'ok', at: 5, channel: 'email', deleted: true, remote: true }]);
    expect(parsed.refused).toHaveLength(3);
    expect(parseRemoteLabels('nonsense', 0).labels).toEqual([]);
  });
});

describe('labels inside the SDK', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  /** A labels backend whose clock runs `skew` ms ahead of the device. */
  function backend(skew = 0) {
    const requests: Array<{ url: URL; headers: Record<string, string>; credentials?: string }> = [];
    let labels: unknown[] = [];
    const fetch = vi.fn(async (url: string, init: RequestInit) => {
      requests.push({ url: new URL(url), headers: init.headers as Record<string, string>, credentials: init.credentials });
      const now = Date.now() + skew;
      return new Response(JSON.stringify({ labels }), { headers: { 'content-type': 'application/json', date: new Date(now).toUTCString() } });
    });
    vi.stubGlobal('fetch', fetch);
    return { requests, set: (next: unknown[]) => void (labels = next) };
  }

  it('fetches on start with the visitor id, merges, corrects the clock and expires by a timer', async () => {
    vi.useFakeTimers({ now: T, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const server = backend(3_600_000); // server clock an hour ahead
    const serverNow = T + 3_600_000;
    server.set([{ name: 'complaint', at: serverNow - DAY, channel: 'call-centre', expires: serverNow + 60_000 }]);
    const ms = createMicroseg({ config: shop, labelsUrl: '/api/labels', autoPage: false });
    const events: string[][] = [];
    ms.on('label', (list: Label[]) => events.push(list.map((l) => l.name)));
    await ms.ready;
    const req = server.requests[0]!;
    expect(req.url.pathname).toBe('/api/labels');
    expect(req.url.searchParams.get('uid')).toBe(ms.profile().anonymousId);
    expect(req.headers['X-Microseg-Visitor']).toBe(ms.profile().anonymousId);
    expect(req.credentials).toBe('same-origin');
    const complaint = ms.labels()[0]!;
    expect(Math.abs(complaint.at - (T - DAY))).toBeLessThan(1000); // within the Date header's second
    expect(ms.segments()).toContain('recent-complainers');
    expect(ms.suppressedOffers()).toEqual(['*']);
    expect(ms.decide('hero').campaign).toBe('complaint-apology');

    await vi.advanceTimersByTimeAsync(61_000);
    expect(ms.labels()).toEqual([]);
    expect(events.at(-1)).toEqual([]);
    expect(ms.segments()).not.toContain('recent-complainers');
    expect(ms.suppressedOffers()).toEqual([]);
    ms.destroy();
  });

  it('re-fetches on identify with the user id and its identity token, and when the tab comes back after a while (a device clock set back meanwhile changes nothing)', async () => {
    vi.useFakeTimers({ now: T, toFake: ['Date', 'setTimeout', 'clearTimeout', 'performance'] });
    const server = backend();
    const ms = createMicroseg({ config: shop, labelsUrl: '/api/labels', autoPage: false, labelsRefresh: 60_000 });
    await ms.ready;
    expect(server.requests).toHaveLength(1);
    const anonymous = ms.profile().anonymousId;
    // without a token the backend would refuse the user id: the device's own labels are asked for
    ms.identify('user-7');
    await vi.advanceTimersByTimeAsync(0);
    expect(server.requests[1]!.url.searchParams.get('uid')).toBe(anonymous);
    expect(server.requests[1]!.headers['X-Microseg-Identity']).toBeUndefined();
    ms.identify('user-7', {}, { token: 'v1.token-7' });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.requests[2]!.url.searchParams.get('uid')).toBe('user-7');
    expect(server.requests[2]!.headers['X-Microseg-Identity']).toBe('v1.token-7');
    expect(server.requests[2]!.headers['X-Microseg-Visitor']).toBe(anonymous); // the cookie binds device ids only
    server.requests.splice(1, 1);
    window.dispatchEvent(new Event('focus'));
    await vi.advanceTimersByTimeAsync(0);
    expect(server.requests).toHaveLength(2); // too soon
    vi.setSystemTime(Date.now() - 3_600_000); // an hour back: the minute is measured on the monotonic clock
    await vi.advanceTimersByTimeAsync(61_000);
    server.set([{ name: 'vip', at: Date.now(), channel: 'store' }]);
    window.dispatchEvent(new Event('focus'));
    await vi.advanceTimersByTimeAsync(0);
    expect(server.requests).toHaveLength(3);
    expect(ms.labels().map((l) => [l.name, l.channel])).toEqual([['vip', 'store']]);
    ms.destroy();
  });

  it('sends nothing without consent, and fetches once consent is granted', async () => {
    const server = backend();
    const ms = createMicroseg({ config: shop, labelsUrl: '/api/labels', autoPage: false, consent: 'pending' });
    await ms.ready;
    ms.identify('user-8');
    window.dispatchEvent(new Event('focus'));
    await new Promise((r) => setTimeout(r, 20));
    expect(server.requests).toHaveLength(0);
    ms.consent('granted');
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    ms.destroy();
  });

  it('a local label re-evaluates segments and decisions at once, with a decision event', async () => {
    const ms = createMicroseg({ config: shop, autoPage: false });
    await ms.ready;
    const decisions: Array<{ slot: string; campaign?: string }> = [];
    ms.on('decision', (d) => decisions.push(d));
    ms.label('complaint', { channel: 'call-centre' });
    expect(ms.segments()).toContain('recent-complainers');
    expect(ms.decide('hero').campaign).toBe('complaint-apology');
    await Promise.resolve();
    expect(decisions.find((d) => d.slot === 'hero')?.campaign).toBe('complaint-apology');
    // the config's default ttl applies to labels set without one
    expect(ms.labels()[0]!.expires! - ms.labels()[0]!.at).toBe(30 * DAY);
    ms.destroy();
  });

  it('opens the labels stream once the backend knows the visitor, re-fetches on each message, and reopens it for a new id', async () => {
    const server = backend();
    const sources: FakeSource[] = [];
    class FakeSource {
      readyState = 1;
      onmessage: (() => void) | null = null;
      listeners: Record<string, () => void> = {};
      constructor(readonly url: string) {
        sources.push(this);
      }
      addEventListener(type: string, fn: () => void) {
        this.listeners[type] = fn;
      }
      close() {
        this.readyState = 2;
      }
    }
    vi.stubGlobal('EventSource', FakeSource);
    const ms = createMicroseg({ config: shop, labelsUrl: '/api/labels', labelsSse: true, autoPage: false });
    await ms.ready;
    expect(sources).toHaveLength(1);
    expect(new URL(sources[0]!.url).pathname).toBe('/api/labels/stream'); // no id in the stream URL: the cookie says who
    server.set([{ name: 'complaint', at: Date.now(), channel: 'call-centre' }]);
    sources[0]!.onmessage!();
    await vi.waitFor(() => expect(ms.labels().map((l) => l.name)).toEqual(['complaint']));
    expect(sources).toHaveLength(1); // the same stream stays open
    ms.identify('user-9', {}, { token: 'v1.token-9' });
    await vi.waitFor(() => expect(sources).toHaveLength(2));
    expect(sources[0]!.readyState).toBe(2);
    // EventSource sends no headers: a verified user id and its token go in the stream's query
    expect(new URL(sources[1]!.url).searchParams.get('uid')).toBe('user-9');
    expect(new URL(sources[1]!.url).searchParams.get('token')).toBe('v1.token-9');
    ms.consent('denied');
    expect(sources[1]!.readyState).toBe(2);
    sources[1]!.onmessage!();
    await new Promise((r) => setTimeout(r, 10));
    expect(server.requests).toHaveLength(3); // start, message, identify: nothing after consent was withdrawn
    ms.destroy();
  });
});
