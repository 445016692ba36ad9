// An inline config is checked once per version: the next page with the same text, under the same
// rules, is used without loading the validator.
import { describe, expect, it, vi } from 'vitest';
import { createConfigSync, type ConfigSyncError, type ConfigSyncOptions, type MicrosegConfig } from '../../../src/config';
import { RULES_VERSION } from '../../../src/config/types';
import { loadValidator } from '../../../src/config/validator';
import { generateKeys, signConfig } from '../../../src/config/keys';
import { minimal } from './helpers';

const RECORD = 'config:inline';

async function sha256(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function memoryStorage(initial?: Record<string, unknown>) {
  const map = new Map(Object.entries(initial ?? {}));
  return {
    map,
    get: vi.fn(async (k: string) => map.get(k)),
    set: vi.fn(async (k: string, v: unknown) => void map.set(k, structuredClone(v))),
  };
}

/** One page: a sync over `storage` with the inline config, run until its writes are done. */
async function page(options: Partial<ConfigSyncOptions>) {
  const load = vi.fn(loadValidator);
  const seen: string[] = [];
  const errors: ConfigSyncError[] = [];
  const sync = createConfigSync({
    loadValidator: load,
    onConfig: (c: MicrosegConfig, { source }) => seen.push(`${c.version}/${source}`),
    onError: (e) => errors.push(e),
    ...options,
  });
  const config = await sync.ready;
  sync.stop();
  return { config, loads: load.mock.calls.length, seen, errors };
}

const text = JSON.stringify({ ...minimal(), version: 'i1' });

describe('an inline config checked once per version', () => {
  it('the second page with the same text does not load the validator', async () => {
    const storage = memoryStorage();
    const first = await page({ config: text, storage });
    expect(first).toMatchObject({ loads: 1, seen: ['i1/inline'], errors: [] });
    expect(storage.map.get(RECORD)).toEqual({ digest: await sha256(text), checked: RULES_VERSION });

    const second = await page({ config: text, storage });
    expect(second).toMatchObject({ loads: 0, seen: ['i1/inline'], errors: [] });
    expect(second.config?.version).toBe('i1');
    expect(storage.set).toHaveBeenCalledTimes(1); // nothing new to remember
  });

  it('the same object on the next page is the same text', async () => {
    const storage = memoryStorage();
    await page({ config: { ...minimal(), version: 'o1' }, storage });
    expect(await page({ config: { ...minimal(), version: 'o1' }, storage })).toMatchObject({ loads: 0, seen: ['o1/inline'] });
  });

  it('a text changed by one byte is checked again, and remembered instead', async () => {
    const storage = memoryStorage();
    await page({ config: text, storage });
    const changed = text.replace('"i1"', '"i2"');
    expect(await page({ config: changed, storage })).toMatchObject({ loads: 1, seen: ['i2/inline'] });
    expect(storage.map.get(RECORD)).toEqual({ digest: await sha256(changed), checked: RULES_VERSION });
    expect(await page({ config: text + ' ', storage })).toMatchObject({ loads: 1, seen: ['i1/inline'] });
  });

  it('a record of other rules, or a missing or garbled one, means the full check', async () => {
    const digest = await sha256(text);
    for (const record of [{ digest, checked: RULES_VERSION - 1 }, undefined, null, 'junk', { digest: 42, checked: RULES_VERSION }, { checked: RULES_VERSION }, { digest: digest.toUpperCase(), checked: RULES_VERSION }]) {
      const storage = memoryStorage({ [RECORD]: record });
      expect(await page({ config: text, storage })).toMatchObject({ loads: 1, seen: ['i1/inline'] });
      expect(storage.map.get(RECORD)).toEqual({ digest, checked: RULES_VERSION });
    }
  });

  it('a storage that fails to answer means the full check, never an error', async () => {
    const storage = { get: vi.fn(() => Promise.reject(new Error('blocked'))), set: vi.fn(() => Promise.reject(new Error('quota'))) };
    expect(await page({ config: text, storage })).toMatchObject({ loads: 1, seen: ['i1/inline'], errors: [] });
  });

  it('a bad inline config is refused on every page and never remembered', async () => {
    const storage = memoryStorage();
    const bad = JSON.stringify({ schema: 1, version: 'x', segments: [] });
    for (let i = 0; i < 2; i++) {
      const run = await page({ config: bad, storage });
      expect(run).toMatchObject({ config: undefined, loads: 1, seen: [] });
      expect(run.errors.map((e) => e.code)).toEqual(['config-invalid']);
    }
    expect(storage.set).not.toHaveBeenCalled();
  });

  it('a signed one still needs its signature on every page', async () => {
    const keys = await generateKeys();
    const envelope = JSON.stringify(await signConfig(JSON.stringify({ ...minimal(), version: 's1' }), keys.privatePem));
    const storage = memoryStorage();
    expect(await page({ config: envelope, storage, publicKey: keys.publicJwk })).toMatchObject({ loads: 1, seen: ['s1/inline'] });
    expect(await page({ config: envelope, storage, publicKey: keys.publicJwk })).toMatchObject({ loads: 0, seen: ['s1/inline'] });
    // The key was rotated: the remembered text is refused all the same.
    const other = await generateKeys();
    const refused = await page({ config: envelope, storage, publicKey: other.publicJwk });
    expect(refused).toMatchObject({ config: undefined, seen: [] });
    expect(refused.errors.map((e) => e.code)).toEqual(['config-signature-invalid']);
  });

  it('without storage every page checks it', async () => {
    expect(await page({ config: text })).toMatchObject({ loads: 1, seen: ['i1/inline'] });
    expect(await page({ config: text })).toMatchObject({ loads: 1, seen: ['i1/inline'] });
  });
});
