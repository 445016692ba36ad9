// Where each SDK's heap goes after init, side by side: the boot benchmark's returning visit (its
// script cold, CPU ×4, 6 s after load, after a full GC), then a heap snapshot summed by kind — compiled code and its
// metadata, strings, objects, closures, browser objects — minus the page without any SDK.
// `npm run bench -- heap` writes bench/results/heap.json.
import type { CDPSession } from 'playwright-core';
import { heapAfterGc, throttledTab, visitor } from './lib/browser';
import { BASELINE, SDKS, WINDOW_MS, bootServer, chosen, visit, waitDone, type Sdk } from './boot';
import { median, round, rounds } from './lib/stats';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** The kinds a snapshot's nodes are summed by; the first whose test matches takes the node. */
const KINDS: Array<[kind: string, test: (type: string, name: string) => boolean]> = [
  ['bytecode', (t, n) => t === 'code' && n.includes('BytecodeArray')],
  ['machine code', (t, n) => t === 'code' && /InstructionStream|\/ Code\b/.test(n)],
  ['function metadata (scopes, feedback, shared info)', (t) => t === 'code'],
  ['script text (outside the JS heap)', (t, n) => t === 'native' && n.includes('ExternalStringData')],
  ['strings', (t) => t === 'string' || t === 'concatenated string' || t === 'sliced string'],
  ['closures and scopes', (t, n) => t === 'closure' || (t === 'object' && n.startsWith('system / Context'))],
  ['objects, arrays and their shapes', (t) => t === 'object' || t === 'array' || t === 'object shape' || t === 'number' || t === 'regexp' || t === 'hidden' || t === 'bigint'],
  ['browser objects (DOM, bindings)', (t) => t === 'native'],
  ['other', () => true],
];

/** Self sizes of a snapshot's nodes by kind, in bytes. */
export function sizesByKind(snapshot: HeapSnapshot): Map<string, number> {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt, width] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size'), fields.length];
  const sums = new Map<string, number>(KINDS.map(([kind]) => [kind, 0]));
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]!]!;
    const name = strings[nodes[i + nameAt]!] ?? '';
    const kind = KINDS.find(([, test]) => test(type, name))![0];
    sums.set(kind, sums.get(kind)! + nodes[i + sizeAt]!);
  }
  return sums;
}

async function takeSnapshot(cdp: CDPSession): Promise<HeapSnapshot> {
  const chunks: string[] = [];
  const collect = (e: { chunk: string }) => chunks.push(e.chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', collect);
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', collect);
  return JSON.parse(chunks.join('')) as HeapSnapshot;
}

/** One returning visitor of one SDK: the heap after GC, and its snapshot by kind. */
async function oneVisitor(origin: string, sdk: Sdk): Promise<{ used: number; kinds: Map<string, number> }> {
  const { context, close } = await visitor();
  try {
    const page0 = `${origin}/page/${SDKS.indexOf(sdk)}`;
    if (sdk !== BASELINE) {
      await visit(context, `${page0}?v=warm`, sdk);
      await visit(context, `${page0}?v=warm`, sdk);
    }
    // The SDK's script at a URL never loaded before, as the boot benchmark's heap column (cold).
    const { page, cdp } = await throttledTab(context, origin);
    await page.goto(`${page0}?v=cold-${Date.now()}`);
    await waitDone(page);
    await page.waitForTimeout(WINDOW_MS); // the boot benchmark's window: idle work after load counts
    const used = await heapAfterGc(cdp);
    const kinds = sizesByKind(await takeSnapshot(cdp));
    await page.close();
    return { used, kinds };
  } finally {
    await close();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const n = rounds(3);
  const sdks = chosen();
  const server = await bootServer();
  const samples = sdks.map(() => [] as Array<{ used: number; kinds: Map<string, number> }>);
  try {
    for (let r = 0; r < n; r++) for (let i = 0; i < sdks.length; i++) samples[i]!.push(await oneVisitor(server.url, sdks[i]!));
  } finally {
    await server.close();
  }
  const med = (i: number, of: (s: { used: number; kinds: Map<string, number> }) => number) => median(samples[i]!.map(of));
  const kb = (bytes: number) => round(bytes / 1024);
  const rows = sdks.slice(1).map((sdk, j) => {
    const i = j + 1;
    const row: Record<string, string | number> = { SDK: sdk.name, 'JS heap KB (as boot)': kb(med(i, (s) => s.used) - med(0, (s) => s.used)) };
    for (const [kind] of KINDS) row[kind] = kb(med(i, (s) => s.kinds.get(kind)!) - med(0, (s) => s.kinds.get(kind)!));
    return row;
  });
  return {
    conditions: `Chromium, CPU ×4, returning visitor, the SDK's script cold (as the boot benchmark's heap), ${n} rounds, medians; ${WINDOW_MS / 1000} s after load, after a full GC; KB by kind from a heap snapshot (self sizes), minus the page without SDK`,
    heap: rows,
  };
}
