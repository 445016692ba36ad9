// The visitor's consent as a small state machine. A preview link holds the page in memory: while its
// token is checked nothing is stored (what the site asks meanwhile is kept for a refused token), and a
// verified one never starts storing.
import type { ConsentState } from './events';

export type PreviewLink = 'none' | 'checking' | 'verified' | 'refused';

export interface Consent {
  state(): ConsentState;
  /**
   * consent(next): `changed` when the state moved (the caller starts or stops storing), `kept` when
   * nothing is to be done now, or the problem with the argument.
   */
  ask(next: unknown): 'changed' | 'kept' | string;
  /** The preview token is checked: a refused one gets what was asked meanwhile. */
  settle(): void;
  /** forget(): nothing is stored from here on. */
  deny(): void;
}

export function createConsent(asked: ConsentState, link: () => PreviewLink): Consent {
  let state: ConsentState = link() === 'checking' ? 'pending' : asked;
  return {
    state: () => state,
    ask(next) {
      if (next !== 'granted' && next !== 'denied' && next !== 'pending') return `consent(state): state must be 'granted', 'pending' or 'denied'`;
      if (link() === 'checking' && next !== 'pending') {
        asked = next;
        return 'kept';
      }
      if (next === state || link() === 'verified') return 'kept';
      if (next === 'pending') return `consent('pending'): consent cannot go back to pending; use 'denied'`;
      state = next;
      return 'changed';
    },
    settle() {
      if (link() === 'refused') state = asked;
    },
    deny() {
      state = 'denied';
    },
  };
}
