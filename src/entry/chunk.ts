// The script-tag build's on-demand files (the config validator, the preview overlay) load from
// beside the SDK's own file, with the page's nonce and through a Trusted Types policy that admits
// only files beside the SDK. Each hands itself over in a window global that only the SDK's own
// script element may set, so that no element named like it, and no page script, can answer instead.
import { createElement, handoverGlobal, ownGlobal, pageHead, runningScript } from '../shared/page';

/** The SDK's own script element, read while it runs (later, document.currentScript is someone else's). */
export const sdkScript = runningScript();

/** The folder the SDK was loaded from: chunk URLs are made, and admitted, only inside it. */
const base = (() => {
  try {
    return new URL('.', sdkScript?.src || `${location.origin}/`);
  } catch {
    return undefined;
  }
})();

/** A script URL the SDK may load: the SDK's origin, inside its folder. */
function admitted(url: string): boolean {
  try {
    const u = new URL(url);
    return !!base && u.origin === base.origin && u.pathname.startsWith(base.pathname) && !u.pathname.slice(base.pathname.length).includes('/');
  } catch {
    return false;
  }
}

/** What a file hands over must be an object with these functions (a page's lookalike fails here or in use). */
export const hasFunctions =
  <T>(...names: Array<keyof T & string>) =>
  (v: unknown): v is T =>
    typeof v === 'object' && v !== null && names.every((name) => typeof (v as Record<string, unknown>)[name] === 'function');

/**
 * Loads `file` from beside the SDK once and takes what it hands over in `global`; a value the page
 * put there, or set from another script, is never taken (see handoverGlobal).
 */
export function chunkLoader<T>(file: string, global: string, policy: string, accept: (value: unknown) => value is T): () => Promise<T> {
  const url = new URL(file, base).href;
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= new Promise<T>((resolve, reject) => {
      const script = createElement(document, 'script');
      const handed = handoverGlobal(global, script);
      script.async = true;
      // A page with a nonce-based CSP admits the file with the nonce the SDK was given.
      if (sdkScript?.nonce) script.nonce = sdkScript.nonce;
      script.src = trustedUrl(url, policy);
      script.onload = () => {
        const loaded = handed();
        if (accept(loaded)) resolve(loaded);
        else reject(new Error(`${url} did not define ${global}`));
      };
      script.onerror = () => reject(new Error(`${url} could not be loaded`));
      pageHead(document)!.appendChild(script);
    }).catch((err) => {
      loading = undefined; // try again next time
      throw err;
    });
    return loading;
  };
}

type Policy = { createScriptURL(u: string): string };
const policies = new Map<string, Policy>();

/** Under Trusted Types, a script URL must come from a policy; these admit only files beside the SDK. */
function trustedUrl(url: string, name: string): string {
  const tt = ownGlobal('trustedTypes') as { createPolicy(name: string, rules: object): Policy } | undefined;
  if (typeof tt?.createPolicy !== 'function') return url;
  try {
    let policy = policies.get(name);
    if (!policy) policies.set(name, (policy = tt.createPolicy(name, { createScriptURL: (u: string) => (admitted(u) ? u : '') })));
    return policy.createScriptURL(url);
  } catch {
    return url; // no policy allowed: the browser refuses the load and onerror reports it
  }
}
