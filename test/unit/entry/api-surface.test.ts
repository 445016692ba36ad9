// The snippet's stubs and the script-tag facade offer exactly the API: `init` plus every method of
// the object createMicroseg() returns, so that a call made before the SDK loads never meets a
// missing stub (a TypeError in the page) and a new method cannot be forgotten in either list.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMicroseg } from '../../../src/sdk/microseg';
import { FACADE_METHODS } from '../../../src/entry/methods';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function apiMethods(): string[] {
  const api = createMicroseg({ autoPage: false, consent: 'pending', dbName: 'api-surface' });
  const names = Object.keys(api).filter((k) => typeof (api as unknown as Record<string, unknown>)[k] === 'function');
  api.destroy();
  return ['init', ...names].sort();
}

function snippetStubs(): string[] {
  const source = readFileSync(join(ROOT, 'src/snippet/snippet.js'), 'utf8');
  const list = /var names = '([^']+)'\.split\(' '\)/.exec(source);
  expect(list, 'the snippet lists its stubs in one string').not.toBeNull();
  return list![1]!.split(' ').sort();
}

describe('the API surface before and after the SDK loads', () => {
  it("the snippet's stubs are init plus every method of the API", () => {
    expect(snippetStubs()).toEqual(apiMethods());
  });

  it("the script-tag facade's methods are the same", () => {
    expect([...FACADE_METHODS].sort()).toEqual(apiMethods());
  });
});
