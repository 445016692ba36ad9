// The script-tag build's validator: loads dist/microseg.schema.js from beside the SDK's own file,
// only when a config this device has not checked before arrives (see src/config/validator.ts).
import type { Validate } from '../config/validator';

declare global {
  interface Window {
    __microsegValidate?: Validate;
  }
}

// Read while the SDK's script runs: later, document.currentScript is someone else's.
const self = typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null) : null;
const chunkUrl = self?.src ? new URL('microseg.schema.js', self.src).href : '/microseg.schema.js';

let loading: Promise<Validate> | undefined;

export function loadValidator(): Promise<Validate> {
  if (window.__microsegValidate) return Promise.resolve(window.__microsegValidate);
  loading ??= new Promise<Validate>((resolve, reject) => {
    const script = document.createElement('script');
    script.async = true;
    // A page with a nonce-based CSP admits the chunk with the nonce the SDK was given.
    if (self?.nonce) script.nonce = self.nonce;
    script.src = trustedUrl(chunkUrl);
    script.onload = () => (window.__microsegValidate ? resolve(window.__microsegValidate) : reject(new Error(`${chunkUrl} did not define the validator`)));
    script.onerror = () => reject(new Error(`${chunkUrl} could not be loaded`));
    (document.head || document.documentElement).appendChild(script);
  }).catch((err) => {
    loading = undefined; // try again with the next config
    throw err;
  });
  return loading;
}

/** Under Trusted Types, a script URL must come from a policy; this one admits only the chunk. */
function trustedUrl(url: string): string {
  const tt = (window as unknown as { trustedTypes?: { createPolicy(name: string, rules: object): { createScriptURL(u: string): string } } }).trustedTypes;
  if (!tt) return url;
  try {
    return tt.createPolicy('microseg#schema', { createScriptURL: (u: string) => (u === url ? u : '') }).createScriptURL(url);
  } catch {
    return url; // no policy allowed: the browser refuses the load and onerror reports it
  }
}
