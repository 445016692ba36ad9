import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/main';

const examples = join(import.meta.dirname, '../../../examples');
const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8'));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'microseg-cli-args-'));
});

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), cwd: dir });
  return { code, out, err };
}

describe('microseg arguments', () => {
  it('--version prints the package version', async () => {
    expect(await cli('--version')).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
    expect((await cli('-v')).out).toBe(`${pkg.version}\n`);
  });

  it.each(['validate', 'keygen', 'sign', 'verify', 'matrix', 'schema'])('microseg %s --help says what it does and its options', async (command) => {
    for (const flag of ['--help', '-h']) {
      const r = await cli(command, flag);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toMatch(new RegExp(`^microseg ${command}`));
      expect(r.out).toContain('--help, -h');
    }
  });

  it('an unknown option is refused with the command usage, not taken for a file', async () => {
    const r = await cli('validate', join(examples, 'shop.config.json'), '--kee', 'x.pem');
    expect(r.code).toBe(1);
    expect(r.err).toContain("Unknown option '--kee'");
    expect(r.err).toContain('usage: microseg validate');
  });

  it('an option that needs a value says so', async () => {
    const r = await cli('sign', join(examples, 'shop.config.json'), '--key');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--key/);
  });

  it('--opt=value and short options work', async () => {
    expect((await cli('schema', '--out=s.json')).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 's.json'), 'utf8')).$defs).toBeDefined();
    expect((await cli('keygen', '-o', 'k.pem')).code).toBe(0);
    expect(readFileSync(join(dir, 'k.pem'), 'utf8')).toContain('PRIVATE KEY');
  });

  it('verify and validate given the private key say so and point at the public key', async () => {
    await cli('keygen');
    await cli('sign', join(examples, 'shop.config.json'), '--key', 'private.pem', '-o', 'signed.json');
    for (const command of ['verify', 'validate']) {
      const r = await cli(command, 'signed.json', '--key', 'private.pem');
      expect(r.code).toBe(1);
      expect(r.err).toContain('private.pem is a private key');
      expect(r.err).toContain('public key');
    }
    // a private JWK too
    const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    writeFileSync(join(dir, 'private.jwk'), JSON.stringify(await crypto.subtle.exportKey('jwk', privateKey)));
    expect((await cli('verify', 'signed.json', '--key', 'private.jwk')).err).toContain('is a private key');
  });

  it('sign leaves the "$schema" editor hint out of the signed payload', async () => {
    await cli('keygen');
    const config = JSON.parse(readFileSync(join(examples, 'shop.config.json'), 'utf8'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ $schema: 'https://unpkg.com/microseg/dist/microseg.config.schema.json', ...config }));
    const s = await cli('sign', 'c.json', '--key', 'private.pem', '-o', 'signed.json');
    expect(s.code).toBe(0);
    const payload = JSON.parse(JSON.parse(readFileSync(join(dir, 'signed.json'), 'utf8')).payload);
    expect(payload).not.toHaveProperty('$schema');
    const { $schema: _, ...rest } = config;
    expect(payload).toEqual(rest);
  });
});
