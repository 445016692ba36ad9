// Hides the page's suppressed offers (`data-microseg-offer="name"`) and shows them again when the
// suppression lifts, including offers a script or framework adds later. Each hidden element
// remembers exactly what it looked like, so showing it again restores the page's own state.
import { isOfferSuppressed } from '../decide/decide';
import { queryAll, rootElement } from '../shared/page';

const ATTR = 'data-microseg-offer';
const STATE = 'data-microseg-state';

interface Saved {
  hidden: boolean;
  state: string | null;
  display: string;
  priority: string;
}

export interface OfferWatcher {
  /** The suppressed offer names ("*" = all) changed. */
  update(offers: string[]): void;
  stop(): void;
}

export function watchOffers(root: Document | undefined, onError: (cause: unknown) => void): OfferWatcher {
  let offers: string[] = [];
  const saved = new Map<HTMLElement, Saved>();
  let observer: MutationObserver | undefined;

  function apply(el: HTMLElement): void {
    const name = el.getAttribute(ATTR);
    const hide = name !== null && isOfferSuppressed(name, offers);
    const was = saved.get(el);
    if (hide && !was) {
      saved.set(el, { hidden: el.hidden, state: el.getAttribute(STATE), display: el.style.getPropertyValue('display'), priority: el.style.getPropertyPriority('display') });
      el.hidden = true;
      // `hidden` loses to any author `display` rule; an inline !important does not.
      el.style.setProperty('display', 'none', 'important');
      el.setAttribute(STATE, 'suppressed');
    } else if (!hide && was) {
      saved.delete(el);
      el.hidden = was.hidden;
      if (was.display) el.style.setProperty('display', was.display, was.priority);
      else el.style.removeProperty('display');
      if (el.getAttribute('style') === '') el.removeAttribute('style');
      if (was.state === null) el.removeAttribute(STATE);
      else el.setAttribute(STATE, was.state);
    }
  }

  function scan(node: ParentNode): void {
    if (node instanceof HTMLElement && node.hasAttribute(ATTR)) apply(node);
    queryAll<HTMLElement>(node, `[${ATTR}]`).forEach(apply);
  }

  const guarded = (fn: () => void) => {
    try {
      fn();
    } catch (cause) {
      onError(cause);
    }
  };

  if (root && rootElement(root) && typeof MutationObserver === 'function') {
    observer = new MutationObserver((records) =>
      guarded(() => {
        for (const r of records) {
          if (r.type === 'attributes') apply(r.target as HTMLElement);
          else r.addedNodes.forEach((n) => n.nodeType === 1 && scan(n as Element));
        }
        // Elements taken out of the page are forgotten, not kept alive.
        for (const el of saved.keys()) if (!el.isConnected) saved.delete(el);
      }),
    );
    guarded(() => observer!.observe(rootElement(root)!, { childList: true, subtree: true, attributes: true, attributeFilter: [ATTR] }));
  }

  return {
    update(next) {
      offers = next;
      guarded(() => {
        const top = root && rootElement(root);
        if (!top) return;
        scan(top);
        for (const el of [...saved.keys()]) if (!el.isConnected || !el.hasAttribute(ATTR)) apply(el);
      });
    },
    stop() {
      observer?.disconnect();
      offers = [];
      guarded(() => [...saved.keys()].forEach(apply)); // leave the page as it was
    },
  };
}
