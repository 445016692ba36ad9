// The script-tag build's on-demand files (the config validator, the preview overlay) load from
// beside the SDK's own file, with the page's nonce and through a Trusted Types policy that admits
// only that file. Each defines a global that the loader returns.

// Read while the SDK's script runs: later, document.currentScript is someone else's.
const self = typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null) : null;

export function chunkLoader<T>(file: string, global: string, policy: string): () => Promise<T> {
  const url = self?.src ? new URL(file, self.src).href : `/${file}`;
  const read = () => (window as unknown as Record<string, T | undefined>)[global];
  let loading: Promise<T> | undefined;
  return () => {
    const ready = read();
    if (ready) return Promise.resolve(ready);
    loading ??= new Promise<T>((resolve, reject) => {
      const script = document.createElement('script');
      script.async = true;
      // A page with a nonce-based CSP admits the file with the nonce the SDK was given.
      if (self?.nonce) script.nonce = self.nonce;
      script.src = trustedUrl(url, policy);
      script.onload = () => {
        const loaded = read();
        if (loaded) resolve(loaded);
        else reject(new Error(`${url} did not define ${global}`));
      };
      script.onerror = () => reject(new Error(`${url} could not be loaded`));
      (document.head || document.documentElement).appendChild(script);
    }).catch((err) => {
      loading = undefined; // try again next time
      throw err;
    });
    return loading;
  };
}

/** Under Trusted Types, a script URL must come from a policy; this one admits only the chunk. */
function trustedUrl(url: string, policy: string): string {
  const tt = (window as unknown as { trustedTypes?: { createPolicy(name: string, rules: object): { createScriptURL(u: string): string } } }).trustedTypes;
  if (!tt) return url;
  try {
    return tt.createPolicy(policy, { createScriptURL: (u: string) => (u === url ? u : '') }).createScriptURL(url);
  } catch {
    return url; // no policy allowed: the browser refuses the load and onerror reports it
  }
}
