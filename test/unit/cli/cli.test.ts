import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/main';
import { verifyEnvelope } from '../../../src/config';

const examples = join(import.meta.dirname, '../../../examples');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'microseg-cli-'));
});

/** Runs the CLI in `dir`, capturing its output. */
async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), cwd: dir });
  return { code, out, err };
}

describe('microseg validate', () => {
  it('passes every example config', async () => {
    const files = readdirSync(examples).filter((f) => f.endsWith('.json')).map((f) => join(examples, f));
    expect(files.length).toBeGreaterThan(0);
    const r = await cli('validate', ...files);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^ok .*shop\.config\.json \(version 2026-11-23\.1, 13 segments, 27 campaigns\)$/m);
  });

  it.each([
    ['unknown-operator.json', ['segments[0].when["metrics.orders"].$gtt: unknown operator "$gtt"', 'segments[1].when["profile.visits"].$in: $in needs a list']],
    ['missing-references.json', [
      'scores.churn.weights["metrics.orders_60d"]: metric "orders_60d" is not defined in metrics',
      'segments[0].when["metrics.order"]: metric "order" is not defined in metrics',
      'segments[1].when["scores.churm"]: score "churm" is not defined in scores',
      'campaigns[0].segments[1]: segment "lapsed" is not defined',
      'journeys[0].exposure: campaign "win-back" is not defined',
    ]],
    ['bad-values.json', [
      'metrics.views_7d.window: must be a duration like "30m", "12h", "7d" or "2w"',
      'campaigns[0].holdout: must be less than 1',
      'campaigns[0].priorty: unknown field "priorty"',
      'campaigns[0].end: ends (2026-12-01) before it starts (2026-12-31)',
      'campaigns[1].start: "2026-02-29" is not a real date',
    ]],
    ['no-fallback-cycle.json', ['segments[2].id: duplicate id "a"', 'segments: one segment must be the fallback', 'segments[0].when: segments depend on each other in a circle: a → b → a']],
    ['newer-schema.json', ['schema: config schema 2 is newer than this SDK understands (1); upgrade microseg']],
    ['truncated.json', ['(config): not valid JSON (line 5, column 31)']],
  ])('fails %s with every problem and its path', async (file, lines) => {
    const r = await cli('validate', join(examples, 'broken', file));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${file}: ${lines.length} problem`);
    for (const line of lines) expect(r.err).toContain(`  ${line}`);
  });

  it('suggests the closest name for a typo', async () => {
    const ops = await cli('validate', join(examples, 'broken/unknown-operator.json'));
    expect(ops.err).toContain('unknown operator "$gtt" (did you mean "$gt"?)');
    const refs = await cli('validate', join(examples, 'broken/missing-references.json'));
    expect(refs.err).toContain('metric "order" is not defined in metrics (did you mean "orders"?)');
    expect(refs.err).toContain('campaign "win-back" is not defined (did you mean "winback"?)');
    expect(refs.err).toMatch(/segment "lapsed" is not defined\n/); // nothing close: no guess
    expect((await cli('validate', join(examples, 'broken/bad-values.json'))).err).toContain('unknown field "priorty" (did you mean "priority"?)');
  });

  it('exits 1 when any of several files fails, and for a missing file', async () => {
    expect((await cli('validate', join(examples, 'shop.config.json'), join(examples, 'broken/newer-schema.json'))).code).toBe(1);
    const r = await cli('validate', 'nope.json');
    expect(r).toMatchObject({ code: 1, err: expect.stringContaining('no such file') });
  });
});

describe('microseg keygen, sign, verify', () => {
  it('round-trips: the signed envelope verifies with the printed public key', async () => {
    const k = await cli('keygen');
    expect(k.code).toBe(0);
    expect(statSync(join(dir, 'private.pem')).mode & 0o077).toBe(0); // private to its owner
    const jwk = JSON.parse(k.out.split('\n')[1]!);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    const pem = k.out.slice(k.out.indexOf('-----BEGIN PUBLIC KEY-----'));
    writeFileSync(join(dir, 'public.pem'), pem);

    const s = await cli('sign', join(examples, 'shop.config.json'), '--key', 'private.pem', '-o', 'signed.json', '--kid', 'k1');
    expect(s).toMatchObject({ code: 0, err: expect.stringContaining('signed') });
    const envelope = JSON.parse(readFileSync(join(dir, 'signed.json'), 'utf8'));
    expect(envelope).toMatchObject({ alg: 'ES256', kid: 'k1' });
    const { $schema: _hint, ...config } = JSON.parse(readFileSync(join(examples, 'shop.config.json'), 'utf8'));
    expect(JSON.parse(await verifyEnvelope(envelope, jwk))).toEqual(config); // the editor hint is not signed

    expect(await cli('verify', 'signed.json', '--key', 'public.pem')).toMatchObject({ code: 0, out: expect.stringContaining('signature valid') });
    expect((await cli('validate', 'signed.json', '--key', 'public.pem')).code).toBe(0);

    envelope.payload = envelope.payload.replace('"priority":100', '"priority":101');
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(envelope));
    const v = await cli('verify', 'tampered.json', '--key', 'public.pem');
    expect(v).toMatchObject({ code: 1, err: expect.stringContaining('signature does not match') });
  });

  it('signs to stdout, refuses to sign an invalid config, and keeps an existing key', async () => {
    await cli('keygen');
    const s = await cli('sign', join(examples, 'shop.config.json'), '--key', 'private.pem');
    expect(JSON.parse(s.out)).toMatchObject({ alg: 'ES256', payload: expect.any(String) });
    const bad = await cli('sign', join(examples, 'broken/unknown-operator.json'), '--key', 'private.pem');
    expect(bad).toMatchObject({ code: 1, err: expect.stringContaining('$gtt') });
    expect(await cli('keygen')).toMatchObject({ code: 1, err: expect.stringContaining('--force') });
    expect((await cli('keygen', '--force')).code).toBe(0);
    expect(await cli('sign', join(examples, 'shop.config.json'))).toMatchObject({ code: 1, err: expect.stringContaining('--key') });
  });
});

describe('microseg matrix', () => {
  const shop = join(examples, 'shop.config.json');

  it('prints one grid per slot with a legend', async () => {
    const r = await cli('matrix', shop, '--from', '2026-11-25', '--days', '7');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('campaign matrix of 2026-11-23.1, 2026-11-25 → 2026-12-01');
    expect(r.out).toContain('slot hero             Nov               Dec');
    expect(r.out).toContain('                      25 26 27 28 29 30 01');
    expect(r.out).toContain('                      We Th Fr Sa Su Mo Tu');
    // Black Friday (E) runs 27–30 for the fallback, then the gift guide (P); the ski launch (D) from the 28th.
    expect(lines).toContain('everyone *            ·  ·  E  E  E  E  P');
    expect(lines).toContain('ski-prospects         ·  ·  ·  D  D  D  D');
    expect(r.out).toMatch(/ {2}B {2}vip-winback {8}priority 50 · holdout 10% · duration 7d · 2026-11-01 → 2027-01-31/);
    expect(r.out).toContain('slot checkout-upsell');
  });

  it('--json gives the matrix the console draws', async () => {
    const r = await cli('matrix', shop, '--from', '2026-11-29', '--days', '3', '--json');
    const m = JSON.parse(r.out);
    expect(m.dates).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
    expect(m.slots).toEqual(['hero', 'recs', 'promo-banner', 'checkout-upsell']);
    const row = (id: string) => m.rows.find((r: { segment: string }) => r.segment === id);
    expect(row('ski-prospects').slots.hero).toEqual([
      { campaign: 'ski-season-launch', priority: 20, holdout: 0.05, duration: '5d' },
      { campaign: 'ski-season-launch', priority: 20, holdout: 0.05, duration: '5d' },
      { campaign: 'ski-season-launch', priority: 20, holdout: 0.05, duration: '5d' },
    ]);
    expect(row('everyone').fallback).toBe(true);
    expect(row('everyone').slots['promo-banner'].map((c: { campaign: string } | null) => c?.campaign ?? null)).toEqual([
      'black-friday-banner', 'black-friday-banner', 'gift-wrapping-banner',
    ]);
  });

  it('refuses bad arguments and broken configs', async () => {
    expect(await cli('matrix', shop, '--from', '2026-13-01')).toMatchObject({ code: 1, err: expect.stringContaining('not a date') });
    expect(await cli('matrix', shop, '--days', '0')).toMatchObject({ code: 1, err: expect.stringContaining('--days') });
    expect((await cli('matrix', join(examples, 'broken/bad-values.json'))).code).toBe(1);
  });
});

describe('microseg (other)', () => {
  it('prints usage, rejects unknown commands', async () => {
    expect(await cli('--help')).toMatchObject({ code: 0, out: expect.stringContaining('microseg validate') });
    expect(await cli('frobnicate')).toMatchObject({ code: 1, err: expect.stringContaining('unknown command "frobnicate"') });
    expect((await cli()).code).toBe(1);
  });

  it('writes the JSON Schema', async () => {
    expect((await cli('schema', '-o', 'schema.json')).code).toBe(0);
    const schema = JSON.parse(readFileSync(join(dir, 'schema.json'), 'utf8'));
    expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['schema', 'version', 'segments'] });
  });
});

describe('configs shown in the docs', () => {
  it('every full config in a ```json block of README.md and examples/README.md validates', async () => {
    let n = 0;
    for (const doc of [join(examples, '../README.md'), join(examples, 'README.md')]) {
      const text = readFileSync(doc, 'utf8');
      for (const [, block] of text.matchAll(/```json\n([\s\S]*?)```/g)) {
        if (!/"schema"\s*:/.test(block!)) continue; // fragments are not configs
        writeFileSync(join(dir, `doc-${n}.json`), block!);
        const r = await cli('validate', `doc-${n++}.json`);
        expect(r.err, `${doc}:\n${block}`).toBe('');
        expect(r.code).toBe(0);
      }
    }
    expect(n).toBeGreaterThan(0);
  });
});

const payloadOf = (out: string) => JSON.parse(JSON.parse(out).payload);

describe('microseg sign --issued', () => {
  it('"now" stamps milliseconds since the epoch, a whole number stamps itself, inside the signed payload', async () => {
    await cli('keygen');
    const before = Date.now();
    const now = await cli('sign', join(examples, 'shop.config.json'), '--key', 'private.pem', '--issued', 'now');
    expect(now.code).toBe(0);
    const issued = payloadOf(now.out).issued;
    expect(issued).toBeGreaterThanOrEqual(before);
    expect(issued).toBeLessThanOrEqual(Date.now());
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ schema: 1, version: 'v', segments: [{ id: 'everyone', fallback: true }] }));
    const fixed = await cli('sign', 'plain.json', '--key', 'private.pem', '--issued', '42');
    expect(payloadOf(fixed.out).issued).toBe(42);
    // without --issued, the document's own issued is signed as it is
    const own = await cli('sign', join(examples, 'shop.config.json'), '--key', 'private.pem');
    expect(payloadOf(own.out).issued).toBe(JSON.parse(readFileSync(join(examples, 'shop.config.json'), 'utf8')).issued);
  });

  it('refuses an issued that is not now or a whole number ≥ 0, and one older than the document already carries', async () => {
    await cli('keygen');
    const bad = await cli('sign', join(examples, 'shop.config.json'), '--key', 'private.pem', '--issued', 'yesterday');
    expect(bad).toMatchObject({ code: 1, err: expect.stringContaining('--issued') });
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ schema: 1, version: 'v', issued: 100, segments: [{ id: 'everyone', fallback: true }] }));
    const older = await cli('sign', 'c.json', '--key', 'private.pem', '--issued', '50');
    expect(older).toMatchObject({ code: 1, err: expect.stringContaining('older') });
  });
});
