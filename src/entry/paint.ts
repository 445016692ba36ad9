// dist/microseg.paint.js: the first-paint script. Placed in <head> before the (async) SDK, it
// paints the last decisions from the localStorage snapshot as slots are parsed, so a returning
// visitor's first frame is already personalized, and hands the slots over when the SDK starts.
// A first-time visitor (no snapshot) costs one localStorage read.
import { createSlots, OWNER } from '../render/slots';
import { hideOffers, pageNonce, readSnapshot, snapshotView } from '../render/snapshot';
import type { PaintHandover } from '../render/renderer';
import { ownGlobal } from '../shared/page';
import { handoverView, readHandover } from '../render/handover';

try {
  const w = window as { __microsegPaint?: PaintHandover };
  const snap = readSnapshot();
  // The marker counts only as the window's own property: an element named like it is not the SDK.
  // A server's decisions for this page (microseg/server) come first: they are this page's.
  const server = readHandover(document);
  if ((snap || server) && !ownGlobal('__microsegPaint')) {
    const release = hideOffers(document, server?.o ?? snap?.o ?? [], pageNonce(document));
    const slots = createSlots(document, (name, el) => handoverView(document, server, name, () => snapshotView(snap, name), el.hasAttribute(OWNER)), { error() {} });
    w.__microsegPaint = { take: () => ({ entries: slots.handOver(), release }) };
  }
} catch {
  // The page is sacred: without the snapshot the slots simply show their default content.
}
