// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomId } from '../../../src/shared/util';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomId', () => {
  afterEach(() => vi.restoreAllMocks());

  it('makes UUID v4 ids, all different', () => {
    const ids = Array.from({ length: 10_000 }, randomId);
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws random bytes in blocks, not one call to crypto per id', () => {
    const draws = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const uuids = vi.spyOn(globalThis.crypto, 'randomUUID');
    for (let i = 0; i < 1000; i++) randomId();
    expect(draws.mock.calls.length + uuids.mock.calls.length).toBeLessThanOrEqual(5);
  });

  it('still makes v4 ids without a crypto object', () => {
    vi.stubGlobal('crypto', undefined);
    try {
      for (let i = 0; i < 300; i++) expect(randomId()).toMatch(UUID_V4);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
