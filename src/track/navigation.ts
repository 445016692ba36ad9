/**
 * Calls `handler` after every single-page-app navigation that changes the address: pushState,
 * replaceState, popstate, hashchange (the full address decides, not the recorded one, which may
 * drop the query). The history methods are wrapped transparently (same arguments, same result,
 * same exceptions) and restored by the returned function when nobody wrapped them after us.
 */
export function watchNavigation(handler: () => void): () => void {
  let last = globalThis.location?.href;
  const onNavigate = () => {
    try {
      const href = globalThis.location?.href;
      if (href === last) return;
      last = href;
      handler();
    } catch {
      // Never let our bookkeeping break the site's router.
    }
  };
  const w = globalThis as typeof globalThis & Window;
  const history = w.history;
  if (!history || typeof w.addEventListener !== 'function') return () => {};

  const wrap = (method: 'pushState' | 'replaceState') => {
    const original = history[method];
    const wrapped = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      onNavigate();
      return result;
    };
    history[method] = wrapped;
    return () => {
      if (history[method] === wrapped) history[method] = original;
    };
  };

  const restorePush = wrap('pushState');
  const restoreReplace = wrap('replaceState');
  w.addEventListener('popstate', onNavigate);
  w.addEventListener('hashchange', onNavigate);
  return () => {
    restorePush();
    restoreReplace();
    w.removeEventListener('popstate', onNavigate);
    w.removeEventListener('hashchange', onNavigate);
  };
}
