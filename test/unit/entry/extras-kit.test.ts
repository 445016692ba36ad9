// The optional-parts file takes the core's kit from the core's own call, and only the first kit: a
// page that calls the file's global first with its own functions makes the SDK's load fail (the SDK
// then reports it and goes without the parts) instead of getting its functions into the SDK's parts.
import { describe, expect, it, vi } from 'vitest';

/** A page's kit: every function it offers records that it was called. */
function pageKit(calls: string[]) {
  return new Proxy({}, { get: (_, name) => () => calls.push(String(name)) }) as never;
}

async function freshFile() {
  delete (window as { __microsegExtras?: unknown }).__microsegExtras;
  vi.resetModules();
  await import('../../../src/entry/extras-chunk');
  const file = window.__microsegExtras!;
  const { loadExtras } = await import('../../../src/entry/extras-script');
  return { file, loadExtras };
}

describe('the optional parts and the kit', () => {
  it("the SDK takes the file with its kit, as often as it asks (measurement and labels both load it)", async () => {
    const { file, loadExtras } = await freshFile();
    const first = await loadExtras();
    expect(first.createMeasurement).toBe(file.createMeasurement);
    await expect(loadExtras()).resolves.toBe(first);
  });

  it("a page's kit installed first: the SDK's load fails and never calls the page's functions", async () => {
    const { file, loadExtras } = await freshFile();
    const calls: string[] = [];
    file.install(pageKit(calls));
    await expect(loadExtras()).rejects.toThrow(/another kit/);
    expect(calls).toEqual([]);
  });

  it("a page's kit after the SDK's: the page's call throws, the SDK's parts keep the core's", async () => {
    const { file, loadExtras } = await freshFile();
    await loadExtras();
    const calls: string[] = [];
    expect(() => file.install(pageKit(calls))).toThrow(/another kit/);
    await expect(loadExtras()).resolves.toBe(file);
    expect(calls).toEqual([]);
  });
});
