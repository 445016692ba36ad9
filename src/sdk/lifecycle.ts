// The page around the SDK: it hides (keep what is not stored yet), it comes back (timers slept,
// labels may have expired), it navigates (a page view), and its dataLayer speaks GA4.
import type { Reporter } from '../shared/errors';
import { listen, pageHidden } from '../shared/page';
import { ingestDataLayer, watchNavigation } from '../track';

export interface LifecycleHooks {
  hide(): void;
  back(): void;
}

/** Calls `hide` when the page is hidden or left and `back` when it is shown or focused again; returns the cleanup. */
export function watchLifecycle(hooks: LifecycleHooks): () => void {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return () => {};
  const onHide = () => hooks.hide();
  const onBack = () => hooks.back();
  const offVisibility = listen(document, 'visibilitychange', () => (pageHidden() ? onHide() : onBack()));
  window.addEventListener('pagehide', onHide);
  window.addEventListener('focus', onBack);
  return () => {
    window.removeEventListener('pagehide', onHide);
    window.removeEventListener('focus', onBack);
    offVisibility();
  };
}

export interface AutoTrackOptions {
  autoPage?: boolean;
  dataLayer?: boolean | string;
  urlParams: ReadonlySet<string>;
  page: () => void;
  track: (type: string, props: Record<string, unknown>) => void;
  report: Reporter;
}

/** What the SDK records without being asked: page views (also of single-page apps) and dataLayer events. */
export function autoTrack(options: AutoTrackOptions): Array<() => void> {
  const cleanups: Array<() => void> = [];
  if (options.autoPage !== false) {
    options.page();
    cleanups.push(watchNavigation(() => options.page()));
  }
  if (options.dataLayer) {
    const name = typeof options.dataLayer === 'string' ? options.dataLayer : 'dataLayer';
    const onError = (cause: unknown) => options.report({ code: 'datalayer', message: 'a dataLayer entry could not be read', cause });
    cleanups.push(ingestDataLayer(name, options.track, onError, options.urlParams));
  }
  return cleanups;
}
