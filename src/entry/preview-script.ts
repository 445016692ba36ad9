// The script-tag build's preview loader: loads dist/microseg.preview.js from beside the SDK's own
// file, only when a preview starts (same approach as validator-script.ts: nonce, Trusted Types).
import type { PreviewChunk } from '../preview/types';

declare global {
  interface Window {
    __microsegPreview?: PreviewChunk;
  }
}

// Read while the SDK's script runs: later, document.currentScript is someone else's.
const self = typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null) : null;
const chunkUrl = self?.src ? new URL('microseg.preview.js', self.src).href : '/microseg.preview.js';

let loading: Promise<PreviewChunk> | undefined;

export function loadOverlay(): Promise<PreviewChunk> {
  if (window.__microsegPreview) return Promise.resolve(window.__microsegPreview);
  loading ??= new Promise<PreviewChunk>((resolve, reject) => {
    const script = document.createElement('script');
    script.async = true;
    if (self?.nonce) script.nonce = self.nonce;
    script.src = trustedUrl(chunkUrl);
    script.onload = () => (window.__microsegPreview ? resolve(window.__microsegPreview) : reject(new Error(`${chunkUrl} did not define the preview`)));
    script.onerror = () => reject(new Error(`${chunkUrl} could not be loaded`));
    (document.head || document.documentElement).appendChild(script);
  }).catch((err) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

function trustedUrl(url: string): string {
  const tt = (window as unknown as { trustedTypes?: { createPolicy(name: string, rules: object): { createScriptURL(u: string): string } } }).trustedTypes;
  if (!tt) return url;
  try {
    return tt.createPolicy('microseg#preview', { createScriptURL: (u: string) => (u === url ? u : '') }).createScriptURL(url);
  } catch {
    return url;
  }
}
