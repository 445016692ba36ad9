// The script-tag build: defines `window.microseg`, takes over the snippet's command queue and
// replays every call made before the SDK loaded, in order.
import { createMicroseg, type Microseg, type MicrosegOptions } from '../sdk/microseg';
import { ownGlobal } from '../shared/page';
import { settleable } from '../shared/inert';
import { sdkScript } from './chunk';
import { FACADE_METHODS } from './methods';

type Call = [name: string, args: unknown[]];

interface SnippetQueue {
  _q?: Call[];
  /** Resolves the snippet's `ready` promise. */
  _r?: (api: unknown) => void;
  _loaded?: boolean;
}

/** Options from `<script src=".../microseg.iife.js" data-config-url="...">`. */
function optionsFromScript(script: HTMLScriptElement | undefined): MicrosegOptions | undefined {
  const data = script?.dataset;
  if (!data) return undefined;
  const opts: Record<string, unknown> = {};
  const map: Record<string, string> = {
    configUrl: 'configUrl', labelsUrl: 'labelsUrl', labelsSse: 'labelsSse', collectUrl: 'collectUrl',
    publicKey: 'publicKey', previewKey: 'previewKey', consent: 'consent', sse: 'sse',
  };
  for (const key of Object.keys(map)) if (data[key]) opts[map[key]!] = data[key];
  if (data.dataLayer !== undefined) opts.dataLayer = data.dataLayer === '' || data.dataLayer === 'true' ? true : data.dataLayer;
  if (data.autoPage === 'false') opts.autoPage = false;
  if (data.urlParams) opts.urlParams = data.urlParams.split(/[\s,]+/).filter(Boolean); // data-url-params="ref tag"
  return Object.keys(opts).length ? (opts as MicrosegOptions) : undefined;
}

function boot(): void {
  const w = window as unknown as { microseg?: SnippetQueue & Record<string, unknown> };
  // The snippet's queue, never an element that page markup named "microseg".
  const queued = ownGlobal('microseg') as (SnippetQueue & Record<string, unknown>) | undefined;
  if (queued?._loaded) return; // the SDK itself was included twice

  // Options only from the SDK's own script element, never from markup that shadows currentScript.
  const scriptOptions = optionsFromScript(sdkScript);
  let instance: Microseg | undefined;
  let waiting: Call[] = [];
  let resolveReady!: (api: unknown) => void;
  const ready = new Promise<unknown>((resolve) => (resolveReady = resolve));

  const facade: Record<string, unknown> = { _loaded: true, ready };

  function init(options?: MicrosegOptions): Microseg | undefined {
    if (instance) {
      console.warn('[microseg] init() was called more than once; the first call wins');
      return instance;
    }
    try {
      instance = createMicroseg({ ...scriptOptions, ...(options ?? {}) });
    } catch (err) {
      console.warn('[microseg] could not start', err);
      return undefined;
    }
    for (const [name, args] of waiting.splice(0)) invoke(name, args);
    void instance.ready.then(() => {
      // Never resolved with an object that inherits a page-defined `then`: it would never settle.
      resolveReady(settleable(facade));
      queued?._r?.(settleable(facade));
    });
    return instance;
  }

  function invoke(name: string, args: unknown[]): unknown {
    if (name === 'init') return init(args[0] as MicrosegOptions);
    if (!instance) {
      waiting.push([name, args]);
      return undefined;
    }
    const method = (instance as unknown as Record<string, unknown>)[name];
    if (typeof method !== 'function') {
      console.warn(`[microseg] microseg.${name}() does not exist`);
      return undefined;
    }
    return (method as (...a: unknown[]) => unknown).apply(instance, args);
  }

  for (const name of FACADE_METHODS) facade[name] = (...args: unknown[]) => invoke(name, args);

  w.microseg = facade as SnippetQueue & Record<string, unknown>;
  const calls = Array.isArray(queued?._q) ? queued._q : [];
  const hasInit = calls.some(([name]) => name === 'init');
  if (!hasInit && scriptOptions) init();
  for (const [name, args] of calls) invoke(name, args);
}

try {
  boot();
} catch (err) {
  console.warn('[microseg] could not start', err);
}
