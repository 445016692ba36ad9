// @vitest-environment node
// Population parameters: the contract (`params`, "$params.<name>" operands, params.<name>
// paths, unknown names rejected) and the backend computing them with percentile_cont.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index';
import { createEngine } from '../../../src/engine/index';
import { signConfig, generateKeys } from '../../../src/config/keys';
import { admin, config, startTestServer } from './helpers';

const base = {
  schema: 1, version: 'p1',
  metrics: { spend: { event: 'purchase', agg: 'sum', field: 'value' } },
  params: { top_spend: 500 },
  segments: [
    { id: 'top', when: { 'metrics.spend': { $gte: '$params.top_spend' } } },
    { id: 'by-path', when: { 'params.top_spend': { $gt: 100 } } },
    { id: 'everyone', fallback: true },
  ],
};

describe('params in the config contract', () => {
  it('inlines "$params.<name>" operands and rejects names params does not define', () => {
    const ok = parseConfig(base);
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(ok.config.segments[0]!.when).toEqual({ 'metrics.spend': { $gte: 500 } });
    const bad = parseConfig({ ...base, params: {} });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['segments[0].when["metrics.spend"]["$gte"]', 'segments[1].when["params.top_spend"]']));
      expect(bad.errors.map((e) => e.message).join('\n')).toMatch(/param "top_spend" is not defined in params/);
    }
    expect(parseConfig({ ...base, params: { top_spend: 'high' } }).ok).toBe(false);
  });

  it('the engine compares with the number and exposes params in its context', () => {
    const parsed = parseConfig(base);
    if (!parsed.ok) throw new Error('config');
    const engine = createEngine(parsed.config, { now: () => Date.UTC(2026, 10, 1) } as never);
    expect(engine.segments()).toEqual(['by-path']);
    engine.ingest({ id: 'e1', type: 'purchase', ts: Date.UTC(2026, 10, 1), props: { value: 600 } } as never);
    expect(engine.segments()).toEqual(['top', 'by-path']);
  });
});

describe('POST /api/params', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer();
  }, 60_000);
  afterAll(() => server?.close(), 30_000);

  const definitions = { top_spend: { event: 'purchase', agg: 'sum', field: 'value', percentile: 0.9 }, buyers_median: { event: 'purchase', agg: 'count', percentile: 0.5 } };
  const post = (body: unknown) => fetch(`${server.url}/api/params`, { method: 'POST', headers: { ...admin, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('computes each percentile over the visitors with SQL and republishes the config with them', async () => {
    await fetch(`${server.url}/api/config`, { method: 'POST', headers: admin, body: JSON.stringify({ ...base, version: 'p2' }) });
    const spends = Array.from({ length: 50 }, (_, i) => (i + 1) * 10);
    const events = spends.map((v, i) => ({ id: `pp-${i}`, type: 'purchase', ts: Date.UTC(2026, 10, 1), aid: `pv-${i}`, props: { value: v } }));
    events.push({ id: 'pp-bad', type: 'purchase', ts: Date.UTC(2026, 10, 1), aid: 'pv-0', props: { value: 'not a number' as never } });
    expect((await (await fetch(`${server.url}/api/collect`, { method: 'POST', body: JSON.stringify({ events }) })).json()).stored).toBe(51);
    const res = await post({ definitions });
    expect(res.status).toBe(200);
    const body = await res.json();
    // percentile_cont(0.9) over 10..500: 0.9 × 49 = 44.1 → 450 + 0.1 × 10
    expect(body.params.top_spend).toBeCloseTo(451, 9);
    expect(body.params.buyers_median).toBe(1);
    expect(body.visitors).toEqual({ top_spend: 50, buyers_median: 50 });
    const published = await (await fetch(`${server.url}/api/config`)).json();
    expect(published.params).toEqual({ top_spend: body.params.top_spend, buyers_median: 1 });
    expect(published.version).toMatch(/^p2\+params\.\d+$/);
  });

  it('is admin only, validates definitions, and refuses to change a signed config', async () => {
    expect((await fetch(`${server.url}/api/params`, { method: 'POST' })).status).toBe(401);
    expect((await post({ definitions: { x: { event: 'purchase', agg: 'sum', percentile: 2 } } })).status).toBe(400);
    const { privatePem } = await generateKeys();
    const envelope = await signConfig(JSON.stringify(config('signed-p')), privatePem);
    await fetch(`${server.url}/api/config`, { method: 'POST', headers: admin, body: JSON.stringify(envelope) });
    expect((await post({ definitions })).status).toBe(409);
  });
});
