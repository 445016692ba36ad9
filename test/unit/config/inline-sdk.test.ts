// The SDK with an inline config: checked in full on the first page, remembered in the store's kv,
// and with consent not granted nothing is remembered at all.
import { describe, expect, it, vi } from 'vitest';
import { openDB } from 'idb';
import { createMicroseg } from '../../../src';
import { RULES_VERSION } from '../../../src/config/types';
import { minimal } from './helpers';

const validator = vi.hoisted(() => ({ loads: 0 }));
vi.mock('../../../src/config/validator', async (original) => {
  const real = await original<typeof import('../../../src/config/validator')>();
  return { ...real, loadValidator: () => (validator.loads++, real.loadValidator()) };
});

const text = JSON.stringify({ ...minimal(), version: 'sdk-1' });

async function remembered(dbName: string): Promise<unknown> {
  const db = await openDB(dbName);
  try {
    return db.objectStoreNames.contains('kv') ? await db.get('kv', 'config:inline') : undefined;
  } finally {
    db.close();
  }
}

async function page(dbName: string, config: string, consent?: 'pending' | 'denied') {
  const ms = createMicroseg({ config, dbName, consent, autoPage: false });
  await ms.ready;
  return ms;
}

describe('an inline config in the SDK', () => {
  it('is checked on the first page, remembered, and not checked again on the next', async () => {
    validator.loads = 0;
    const first = await page('inline-granted', text);
    expect(first.segments()).toEqual(['everyone']);
    expect(validator.loads).toBe(1);
    await vi.waitFor(async () => expect(await remembered('inline-granted')).toMatchObject({ checked: RULES_VERSION }));
    first.destroy();

    const second = await page('inline-granted', text);
    expect(second.segments()).toEqual(['everyone']);
    expect(validator.loads).toBe(1);
    second.destroy();

    const changed = await page('inline-granted', text.replace('sdk-1', 'sdk-2'));
    expect(validator.loads).toBe(2);
    changed.destroy();
  });

  it('with consent pending or denied, nothing is written', async () => {
    for (const consent of ['pending', 'denied'] as const) {
      const dbName = `inline-${consent}`;
      (await page(dbName, text, consent)).destroy();
      expect((await indexedDB.databases()).map((d) => d.name)).not.toContain(dbName);
    }
  });
});
