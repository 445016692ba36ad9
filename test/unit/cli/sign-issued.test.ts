// `microseg sign --issued` stamps the document's place in the order of publications inside what is signed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/main';

const examples = join(import.meta.dirname, '../../../examples');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'microseg-cli-'));
});

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), cwd: dir });
  return { code, out, err };
}
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
