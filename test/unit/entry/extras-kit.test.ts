// The optional parts' files take the core's kit from the core's own call, and only the first kit; the
// SDK takes only what its own script element for a file hands over while it runs, never a value the
// page put in the global (or set from another script).
import { afterEach, describe, expect, it, vi } from 'vitest';

type Globals = Record<string, Record<string, unknown> | undefined>;
const globals = window as unknown as Globals;

/** A page's kit: every function it offers records that it was called. */
function pageKit(calls: string[]) {
  return new Proxy({}, { get: (_, name) => () => calls.push(String(name)) }) as never;
}

const ENTRIES: Record<string, () => Promise<unknown>> = {
  'microseg.extras.js': () => import('../../../src/entry/part-extras'),
  'microseg.collect.js': () => import('../../../src/entry/part-collect'),
  'microseg.labels.js': () => import('../../../src/entry/part-labels'),
};

/**
 * A fresh SDK whose script elements for the parts' files run each file's module as the browser
 * would: with document.currentScript being that element, then its onload.
 */
async function freshSdk() {
  vi.resetModules();
  for (const name of ['extras', 'collect', 'labels']) delete globals[`__microseg_${name}`];
  const fetched: string[] = [];
  let running: Element | null = null;
  Object.defineProperty(Object.getPrototypeOf(document), 'currentScript', { get: () => running, configurable: true });
  const append = Node.prototype.appendChild;
  vi.spyOn(Node.prototype, 'appendChild').mockImplementation(function (this: Node, node: Node) {
    const script = node instanceof HTMLScriptElement ? node : undefined;
    const file = script?.src.split('/').pop() ?? '';
    if (!script || !ENTRIES[file]) return append.call(this, node) as never;
    fetched.push(file);
    void (async () => {
      running = script;
      await ENTRIES[file]!();
      running = null;
      script.onload?.(new Event('load'));
    })();
    return node as never;
  });
  return { ...(await import('../../../src/entry/extras-script')), fetched };
}

afterEach(() => {
  vi.restoreAllMocks();
  delete (Object.getPrototypeOf(document) as { currentScript?: unknown }).currentScript;
});

describe('the optional parts and the kit', () => {
  it('the SDK takes each part from its own file, once, as often as it asks', async () => {
    const { loadPart, fetched } = await freshSdk();
    const first = await loadPart('extras');
    expect(first.createMeasurement).toBe(globals.__microseg_extras!.createMeasurement);
    await expect(loadPart('extras')).resolves.toBe(first);
    expect(fetched).toEqual(['microseg.extras.js']);
    expect((await loadPart('collect')).createOutbox).toBe(globals.__microseg_collect!.createOutbox);
    expect((await loadPart('labels')).createRemoteLabels).toBe(globals.__microseg_labels!.createRemoteLabels);
    expect(fetched).toEqual(['microseg.extras.js', 'microseg.collect.js', 'microseg.labels.js']);
  });

  it("a value the page put in a file's global is never taken: the SDK loads and runs its own", async () => {
    const { loadPart } = await freshSdk();
    const calls: string[] = [];
    const fake = pageKit(calls) as { createOutbox: unknown };
    globals.__microseg_collect = { createOutbox: fake.createOutbox, install: () => {} };
    const loaded = await loadPart('collect');
    expect(loaded.createOutbox).not.toBe(fake.createOutbox);
    // Set from a script that is not the SDK's element for the file: ignored.
    globals.__microseg_collect = {};
    expect(globals.__microseg_collect!.createOutbox).toBe(loaded.createOutbox);
    expect(calls).toEqual([]);
  });

  it("a page's kit after the SDK's: the page's call throws, the SDK's part keeps the core's", async () => {
    const { loadPart } = await freshSdk();
    const loaded = await loadPart('extras');
    const calls: string[] = [];
    expect(() => (globals.__microseg_extras!.install as (kit: never) => void)(pageKit(calls))).toThrow(/another kit/);
    await expect(loadPart('extras')).resolves.toBe(loaded);
    expect(calls).toEqual([]);
  });
});
