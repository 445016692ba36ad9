/**
 * Calls `onNavigate` after every single-page-app navigation: pushState, replaceState, popstate,
 * hashchange. The history methods are wrapped transparently (same arguments, same result, same
 * exceptions) and restored by the returned function when nobody wrapped them after us.
 */
export function watchNavigation(handler: () => void): () => void {
  const onNavigate = () => {
    try {
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
