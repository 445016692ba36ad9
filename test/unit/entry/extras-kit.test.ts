// The optional-parts file takes the core's kit from the core's own call, and only the first kit; the
// SDK takes only what its own script element for the file hands over while it runs, never a value
// the page put in the global (or set from another script).
import { afterEach, describe, expect, it, vi } from 'vitest';

/** A page's kit: every function it offers records that it was called. */
function pageKit(calls: string[]) {
  return new Proxy({}, { get: (_, name) => () => calls.push(String(name)) }) as never;
}

/**
 * A fresh SDK whose script elements for microseg.extras.js run the file's module as the browser
 * would: with document.currentScript being that element, then its onload.
 */
async function freshSdk() {
  vi.resetModules();
  delete (window as { __microsegExtras?: unknown }).__microsegExtras;
  let running: Element | null = null;
  Object.defineProperty(Object.getPrototypeOf(document), 'currentScript', { get: () => running, configurable: true });
  const append = Node.prototype.appendChild;
  vi.spyOn(Node.prototype, 'appendChild').mockImplementation(function (this: Node, node: Node) {
    if (!(node instanceof HTMLScriptElement) || !node.src.endsWith('/microseg.extras.js')) return append.call(this, node) as never;
    void (async () => {
      running = node;
      await import('../../../src/entry/extras-chunk');
      running = null;
      node.onload?.(new Event('load'));
    })();
    return node as never;
  });
  return import('../../../src/entry/extras-script');
}

afterEach(() => {
  vi.restoreAllMocks();
  delete (Object.getPrototypeOf(document) as { currentScript?: unknown }).currentScript;
});

describe('the optional parts and the kit', () => {
  it('the SDK takes the file with its kit, as often as it asks (measurement and labels both load it)', async () => {
    const { loadExtras } = await freshSdk();
    const first = await loadExtras();
    expect(first.createMeasurement).toBe(window.__microsegExtras!.createMeasurement);
    await expect(loadExtras()).resolves.toBe(first);
  });

  it("a value the page put in the file's global is never taken: the SDK loads and runs its own", async () => {
    const { loadExtras } = await freshSdk();
    const calls: string[] = [];
    const fake = pageKit(calls) as { createMeasurement: unknown };
    (window as { __microsegExtras?: unknown }).__microsegExtras = { createMeasurement: fake.createMeasurement, createRemoteLabels: () => {}, install: () => {} };
    const loaded = await loadExtras();
    expect(loaded.createMeasurement).not.toBe(fake.createMeasurement);
    // Set from a script that is not the SDK's element for the file: ignored.
    (window as { __microsegExtras?: unknown }).__microsegExtras = {};
    expect(window.__microsegExtras!.createMeasurement).toBe(loaded.createMeasurement);
    expect(calls).toEqual([]);
  });

  it("a page's kit after the SDK's: the page's call throws, the SDK's parts keep the core's", async () => {
    const { loadExtras } = await freshSdk();
    const loaded = await loadExtras();
    const calls: string[] = [];
    expect(() => window.__microsegExtras!.install(pageKit(calls))).toThrow(/another kit/);
    await expect(loadExtras()).resolves.toBe(loaded);
    expect(calls).toEqual([]);
  });
});
