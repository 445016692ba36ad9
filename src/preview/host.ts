// The preview's foot in the core bundle: reads ?microseg_preview=, loads the overlay chunk (which
// checks the token) and lets it paint its own decisions. Everything else lives in the chunk.
import type { PublicKeyInput } from '../config/signature';
import type { Reporter } from '../shared/errors';
import type { Decision } from '../decide/decide';
import { loadOverlay } from './load';
import type { Persona, PreviewBridge, PreviewSession, PreviewView } from './types';
import type { RuntimeErrorCode } from '../shared/errors';

const PREVIEW_PARAM = 'microseg_preview';

export interface PreviewHostDeps {
  key: PublicKeyInput | PublicKeyInput[] | undefined;
  now: () => number;
  report: Reporter;
}

/** What a preview needs of the running SDK, handed over once its parts exist (the host is made first: consent waits on its token). */
export interface PreviewConnection {
  ready: () => Promise<void>;
  /** The bridge without show/leave/persona. */
  bridge: () => Omit<PreviewBridge, 'show' | 'leave' | 'persona'>;
  /** Re-paint slots and offers (the host's decide/offers answer for the preview now). */
  repaint: () => void;
}

export interface PreviewHost {
  /** Hands the running SDK over; until then a preview cannot open. */
  connect(connection: PreviewConnection): void;
  /** The preview token in the page's URL: being checked, verified (the SDK runs in memory only), refused or none. */
  link(): 'none' | 'checking' | 'verified' | 'refused';
  /** Resolves once the URL's token is verified or refused. */
  readonly checked: Promise<void>;
  /** A preview shows the page now (its decide/offers answer instead of the visitor's). */
  active(): boolean;
  decide(slot: string): Decision | undefined;
  offers(): string[] | undefined;
  start(persona: Persona, fromUrl?: boolean): Promise<void>;
  stop(): void;
}

export function createPreviewHost(deps: PreviewHostDeps): PreviewHost {
  let sdk: PreviewConnection | undefined;
  let view: PreviewView | undefined;
  let session: PreviewSession | undefined;
  let starting: Promise<void> | undefined;
  const token = (() => {
    try {
      return new URLSearchParams(globalThis.location?.search ?? '').get(PREVIEW_PARAM) ?? undefined;
    } catch {
      return undefined;
    }
  })();

  function stop(): void {
    session?.destroy();
    session = undefined;
    if (!view) return;
    view = undefined;
    sdk?.repaint();
  }

  async function open(persona: Persona, fromUrl: boolean): Promise<void> {
    if (!sdk) throw new Error('the SDK is not connected');
    const { ready, bridge, repaint } = sdk;
    await ready();
    const { mount } = await loadOverlay();
    if (session) return session.update(persona);
    session = mount({
      ...bridge(),
      persona,
      show(next) {
        view = next;
        repaint();
      },
      leave() {
        stop();
        // A preview link ran this page in memory only: the real page is a reload away.
        if (fromUrl) {
          const url = new URL(location.href);
          url.searchParams.delete(PREVIEW_PARAM);
          location.replace(url.href);
        }
      },
    });
  }

  function start(persona: Persona, fromUrl = false): Promise<void> {
    return (starting = (starting ?? Promise.resolve())
      .then(() => open(persona, fromUrl))
      .catch((cause) => deps.report({ code: 'preview', message: `the preview could not start (${(cause as Error)?.message})`, cause })));
  }

  // Only a verified token turns the page into a preview; until it is checked nothing is stored,
  // and a refused one leaves the visitor's page exactly as without the parameter.
  let link: 'none' | 'checking' | 'verified' | 'refused' = token === undefined ? 'none' : 'checking';
  const checked = link === 'none' ? Promise.resolve() : check(token!);

  async function check(token: string): Promise<void> {
    if (!deps.key) {
      link = 'refused';
      return deps.report({ code: 'preview-token-invalid', message: 'no previewKey or publicKey to check the preview token; preview refused' });
    }
    try {
      const claims = await (await loadOverlay()).verify(token, deps.key, deps.now());
      link = 'verified';
      void start({ ...claims.persona, blank: true }, true);
    } catch (err) {
      link = 'refused';
      const code = (err as { code?: RuntimeErrorCode }).code ?? 'preview-token-invalid';
      deps.report({ code, message: `${(err as Error)?.message}; preview refused`, cause: err });
    }
  }

  return {
    connect(connection) {
      sdk = connection;
    },
    link: () => link,
    checked,
    active: () => view !== undefined,
    decide: (slot: string): Decision | undefined => view?.decide(slot),
    offers: (): string[] | undefined => view?.offers(),
    start,
    stop,
  };
}
