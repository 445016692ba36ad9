// The SDK's stand-in on a page whose promises cannot settle (see shared/inert.ts): one `error`
// event and one console warning, `ready` resolves, every method is a harmless no-op.
import type { Microseg } from './microseg';
import type { Decision } from '../decide/decide';
import type { Profile } from '../shared/types';
import type { Emitter } from '../shared/emitter';
import type { Reporter } from '../shared/errors';
import { newProfile, pageContext } from '../track';
import type { MicrosegEvents } from './events';

export function inertMicroseg(emitter: Emitter<MicrosegEvents>, report: Reporter, where: string): Microseg {
  const ready = new Promise<void>((resolve) =>
    // After a microtask, so that handlers attached right after createMicroseg() hear it.
    queueMicrotask(() => {
      report({ code: 'hostile-page', message: `the page defines ${where}.then, which would keep every promise carrying an object from settling; microseg does not start on this page` });
      emitter.emit('ready');
      resolve();
    }),
  );
  const profile: Profile = newProfile(Date.now(), pageContext());
  const none = () => {};
  const done = () => Promise.resolve();
  return {
    ready,
    track: none, page: none, identify: none, label: none, unlabel: none,
    labels: () => [],
    profile: () => profile,
    segments: () => [],
    explain: () => undefined,
    config: () => undefined,
    decide: (slot: string): Decision => ({ slot, control: false, reason: { considered: [] } }),
    suppressedOffers: () => [],
    render: none,
    consent: none,
    forget: done,
    on: (type, handler) => emitter.on(type, handler),
    flush: done,
    storage: () => 'memory',
    preview: done,
    endPreview: none,
    destroy: none,
  };
}
