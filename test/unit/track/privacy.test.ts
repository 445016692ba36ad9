// URLs and referrers as microseg records them: the referrer's origin only, page URLs without
// query and fragment except utm_*, ad click ids and the parameters the site names.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMicroseg, type TrackedEvent, type MicrosegConfig } from '../../../src';
import { acquisition, recordedReferrer, recordedUrl, urlParamNames } from '../../../src/track';

const SECRET_URL = '/account/reset?email=alice%40example.com&reset_token=s3cr3t-9f2&utm_source=news&utm_medium=email&gclid=g-1&ref=partner&session=abc#access_token=t0k3n';
const SECRET_REFERRER = 'https://mail.example.net/inbox/read?email=alice@example.com&reset_token=r3f-77#msg';
const SECRETS = /alice|s3cr3t|reset_token|r3f-77|t0k3n|session=|inbox/;

describe('recorded URLs', () => {
  it('keep origin, path, utm_*, click ids and named parameters; drop everything else', () => {
    const keep = urlParamNames(['ref', 'tag', 3, null]);
    expect(recordedUrl(`https://shop.example${SECRET_URL}`, keep)).toBe('https://shop.example/account/reset?utm_source=news&utm_medium=email&gclid=g-1&ref=partner');
    expect(recordedUrl(`https://shop.example${SECRET_URL}`)).toBe('https://shop.example/account/reset?utm_source=news&utm_medium=email&gclid=g-1');
    expect(recordedUrl('https://user:pass@shop.example/p?x=1#y')).toBe('https://shop.example/p');
    expect(recordedUrl('https://shop.example/p?UTM_Campaign=Spring&fbclid=f&msclkid=m&dclid=d&gbraid=g&wbraid=w&ttclid=t&li_fat_id=l&twclid=x')).toBe(
      'https://shop.example/p?UTM_Campaign=Spring&fbclid=f&msclkid=m&dclid=d&gbraid=g&wbraid=w&ttclid=t&li_fat_id=l&twclid=x',
    );
    expect(recordedUrl(`https://shop.example/p?utm_term=${'x'.repeat(500)}`)).toHaveLength('https://shop.example/p?utm_term='.length + 200);
    expect(recordedUrl('not a url')).toBe('');
    expect(recordedUrl('data:text/html,<p>secret</p>')).toBe('');
  });

  it('keep a referrer as its origin only', () => {
    expect(recordedReferrer(SECRET_REFERRER)).toBe('https://mail.example.net');
    expect(recordedReferrer('')).toBe('');
    expect(recordedReferrer('garbage')).toBe('');
    expect(recordedReferrer('about:blank')).toBe('');
  });

  it('still tell the acquisition channel', () => {
    const url = recordedUrl(`https://shop.example${SECRET_URL}`);
    expect(acquisition(url, recordedReferrer(SECRET_REFERRER))).toMatchObject({ channel: 'email', utm: { source: 'news', medium: 'email' }, referrer: 'mail.example.net' });
    expect(acquisition(recordedUrl('https://shop.example/?gclid=1&email=a@b'), '').channel).toBe('paid');
  });
});

describe('inside the SDK', () => {
  const original = location.href;
  afterEach(() => {
    vi.unstubAllGlobals();
    history.replaceState({}, '', original);
  });

  it('no secret of the URL or the referrer reaches events, the profile, conditions, storage or the collector', async () => {
    history.replaceState({}, '', SECRET_URL);
    Object.defineProperty(document, 'referrer', { value: SECRET_REFERRER, configurable: true });
    const bodies: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      bodies.push(`${url} ${JSON.stringify(init?.headers ?? {})} ${String(init?.body ?? '')}`);
      expect(init?.referrerPolicy).toBe('strict-origin');
      return new Response(url.includes('labels') ? '{"labels":[]}' : null, { status: url.includes('labels') ? 200 : 204 });
    }));
    const config: MicrosegConfig = {
      schema: 1, version: 'v1',
      segments: [
        { id: 'leaked', when: { 'profile.url': { $regex: 'alice|token' } } },
        { id: 'partner', when: { 'profile.url': { $regex: 'ref=partner' } } },
        { id: 'all', fallback: true },
      ],
    };
    const ms = createMicroseg({ config, urlParams: ['ref'], collectUrl: '/collect', collect: { interval: 10 }, labelsUrl: '/labels', dbName: 'privacy' });
    const events: TrackedEvent[] = [];
    ms.on('track', (e: TrackedEvent) => events.push(e));
    await ms.ready;
    ms.track('purchase', { value: 10 });
    await ms.flush();
    await vi.waitFor(() => expect(bodies.some((b) => b.includes('purchase'))).toBe(true));

    expect(ms.segments()).toEqual(['partner']);
    const page = events[0]!.page;
    expect(page.url).toBe(`${location.origin}/account/reset?utm_source=news&utm_medium=email&gclid=g-1&ref=partner`);
    expect(page.referrer).toBe('https://mail.example.net');
    expect(ms.profile().url).toBe(page.url);
    expect(ms.profile().channel).toBe('email');
    const local = JSON.stringify({ ...localStorage });
    expect(local).not.toMatch(SECRETS);
    expect(bodies.join('\n')).not.toMatch(SECRETS);
    ms.destroy();
  });

  it('a profile an older version stored with a full URL is cleaned on load', async () => {
    history.replaceState({}, '', '/plain');
    localStorage.setItem('microseg:profile', JSON.stringify({ anonymousId: 'a', firstSeen: 1, lastSeen: 1, visits: 1, visitStart: 1, device: 'desktop', channel: 'direct', utm: {}, referrer: '', url: `https://x.example${SECRET_URL}`, traits: {} }));
    const ms = createMicroseg({ autoPage: false, consent: 'denied' });
    expect(ms.profile().url).toBe(`${location.origin}/plain`);
    ms.destroy();
  });
});

describe('the dataLayer', () => {
  afterEach(() => {
    delete (globalThis as Record<string, unknown>).dataLayer;
  });

  it('records page_location and page_referrer like the SDK’s own page context', async () => {
    (globalThis as Record<string, unknown>).dataLayer = [];
    const ms = createMicroseg({ autoPage: false, consent: 'denied', dataLayer: true, urlParams: ['ref'] });
    const events: TrackedEvent[] = [];
    ms.on('track', (e: TrackedEvent) => events.push(e));
    (globalThis as unknown as { dataLayer: unknown[] }).dataLayer.push({ event: 'sign_up', page_location: `https://shop.example${SECRET_URL}`, page_referrer: SECRET_REFERRER });
    (globalThis as unknown as { dataLayer: unknown[] }).dataLayer.push(['event', 'login', { page_location: `https://shop.example${SECRET_URL}` }] as unknown as never);
    await ms.ready;
    ms.destroy();
    expect(JSON.stringify(events)).not.toMatch(SECRETS);
    const kept = 'https://shop.example/account/reset?utm_source=news&utm_medium=email&gclid=g-1&ref=partner';
    expect(events.map((e) => [e.type, e.props.page_location, e.props.page_referrer])).toEqual([['sign_up', kept, 'https://mail.example.net'], ['login', kept, undefined]]);
  });
});
