// Chromium for the browser benchmarks, driven through the DevTools protocol: a fresh profile per
// visitor (on disk, so the code cache works as on a real device), CPU throttling, a trace of the
// renderer's main thread, the heap after a full GC.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../test/browser/harness';

export const CPU_SLOWDOWN = 4;

export interface Visitor {
  context: BrowserContext;
  close(): Promise<void>;
}

/** One visitor's browser: a persistent profile in a temp dir, removed on close. */
export async function visitor(): Promise<Visitor> {
  const dir = mkdtempSync(join(tmpdir(), 'microseg-bench-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A new tab on `origin` (a blank page of the same site first, so the measured navigation stays
 * in the renderer the throttling was applied to), with its DevTools session.
 */
export async function throttledTab(context: BrowserContext, origin: string, slowdown = CPU_SLOWDOWN): Promise<{ page: Page; cdp: CDPSession }> {
  const page = await context.newPage();
  await page.goto(`${origin}/blank`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: slowdown });
  return { page, cdp };
}

/** Used JS heap of the page's isolate after a full collection. */
export async function heapAfterGc(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

export interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: Record<string, any>;
}

const CATEGORIES = ['devtools.timeline', 'v8', 'v8.execute', 'disabled-by-default-devtools.timeline', 'disabled-by-default-v8.compile', '__metadata'];

/** Records a trace around `during()`; returns its events. */
export async function traced(cdp: CDPSession, during: () => Promise<void>): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  const collect = (e: { value: unknown[] }) => events.push(...(e.value as TraceEvent[]));
  cdp.on('Tracing.dataCollected', collect);
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES }, transferMode: 'ReportEvents' });
  try {
    await during();
  } finally {
    const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
    await cdp.send('Tracing.end');
    await complete;
    cdp.off('Tracing.dataCollected', collect);
  }
  return events;
}

// Top-level tasks that run JavaScript on the main thread (their union: nested ones count once).
const SCRIPT_TASKS = new Set([
  'EvaluateScript', 'v8.compile', 'v8.compileModule', 'v8.evaluateModule', 'FunctionCall', 'v8.callFunction', 'v8.run',
  'RunMicrotasks', 'TimerFire', 'EventDispatch', 'FireAnimationFrame', 'FireIdleCallback', 'XHRReadyStateChange', 'XHRLoad',
  'V8.Execute', 'MajorGC', 'MinorGC', 'V8.GCScavenger', 'V8.GCFinalizeMC', 'V8.GCIncrementalMarking', 'V8.GC_MC_BACKGROUND_MARKING',
]);
const COMPILE = new Set(['v8.compile', 'v8.compileModule', 'V8.CompileCode', 'v8.parseOnBackground']);
const GC = new Set(['MajorGC', 'MinorGC']);

export interface MainThreadTime {
  /** Union of script, compile and GC tasks on the renderer's main thread, ms. */
  jsMs: number;
  compileMs: number;
  gcMs: number;
  /** Compiles that consumed a code cache. */
  cacheHits: number;
}

/** Durations (complete events, and begin/end pairs) on one thread. */
function spans(events: TraceEvent[]): Array<{ name: string; start: number; end: number; args?: Record<string, any> }> {
  const out: Array<{ name: string; start: number; end: number; args?: Record<string, any> }> = [];
  const open = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.ph === 'X') out.push({ name: e.name, start: e.ts, end: e.ts + (e.dur ?? 0), args: e.args });
    else if (e.ph === 'B') (open.get(e.name) ?? open.set(e.name, []).get(e.name)!).push(e);
    else if (e.ph === 'E') {
      const begin = open.get(e.name)?.pop();
      if (begin) out.push({ name: e.name, start: begin.ts, end: e.ts, args: { ...begin.args, ...e.args } });
    }
  }
  return out;
}

function unionMs(intervals: Array<{ start: number; end: number }>): number {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  let total = 0;
  let start = -Infinity;
  let end = -Infinity;
  for (const i of sorted) {
    if (i.start > end) {
      total += end - start > 0 ? end - start : 0;
      start = i.start;
      end = i.end;
    } else end = Math.max(end, i.end);
  }
  total += end - start > 0 ? end - start : 0;
  return total / 1000;
}

/**
 * JS time on the main thread of the renderer that loaded `origin`: among the renderers' main
 * threads in the trace, the one whose script events name that origin.
 */
export function mainThreadTime(events: TraceEvent[], origin: string): MainThreadTime {
  const mains = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  let best: MainThreadTime = { jsMs: 0, compileMs: 0, gcMs: 0, cacheHits: 0 };
  for (const m of mains) {
    const own = events.filter((e) => e.pid === m.pid && e.tid === m.tid);
    if (!own.some((e) => JSON.stringify(e.args ?? {}).includes(origin))) continue;
    const all = spans(own);
    const time: MainThreadTime = {
      jsMs: unionMs(all.filter((s) => SCRIPT_TASKS.has(s.name))),
      compileMs: unionMs(all.filter((s) => COMPILE.has(s.name))),
      gcMs: unionMs(all.filter((s) => GC.has(s.name))),
      cacheHits: all.filter((s) => COMPILE.has(s.name) && (s.args?.data?.consumedCacheSize > 0 || s.args?.consumedCacheSize > 0)).length,
    };
    if (time.jsMs > best.jsMs) best = time;
  }
  return best;
}

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/** A sampling CPU profile (100 µs interval) of the page around `during()`. */
export async function cpuProfiled(cdp: CDPSession, during: () => Promise<void>): Promise<CpuProfile> {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  try {
    await during();
  } catch (err) {
    await cdp.send('Profiler.stop');
    throw err;
  }
  const { profile } = await cdp.send('Profiler.stop');
  return profile as CpuProfile;
}
