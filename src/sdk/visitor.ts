// Who the visitor is and where they are: the profile kept on the device, this page view, and the
// events they make, stamped with both.
import type { Profile, TrackedEvent } from '../shared/types';
import { randomId } from '../shared/util';
import { readLocal, writeLocal } from '../store';
import { isProfile, newProfile, pageContext, touchProfile, type PageContext } from '../track';

export interface Visitor {
  profile(): Profile;
  /** The user id when identified, else the device's anonymous id. */
  id(): string;
  page(): PageContext;
  /** This page view, for exposures (one per campaign and view). */
  view(): string;
  /** A new page view (page() and single-page-app navigations). */
  newView(): void;
  /** An event at this moment; `newVisit` when it began a visit (the profile changed). */
  event(type: string, props: Record<string, unknown>): { event: TrackedEvent; newVisit: boolean };
  identify(userId: string, traits: Record<string, unknown>): void;
  /** forget(): a new anonymous visitor. */
  reset(): void;
  /** Keeps the profile for the next page (only when the visitor lets us store). */
  save(): void;
}

export function createVisitor(now: () => number, urlParams: ReadonlySet<string>, canWrite: () => boolean): Visitor {
  let page: PageContext = pageContext(urlParams);
  const stored = readLocal<Profile>('profile');
  // A profile an older version stored may hold a full URL: this page's recorded one replaces it.
  let profile: Profile = isProfile(stored) ? { ...stored, url: page.url } : newProfile(now(), page);
  let view = randomId();
  let seq = 0;

  return {
    profile: () => profile,
    id: () => profile.userId ?? profile.anonymousId,
    page: () => page,
    view: () => view,
    newView() {
      page = pageContext(urlParams);
      view = randomId();
    },
    event(type, props) {
      const ts = now();
      const visits = profile.visits;
      profile = touchProfile(profile, ts, page);
      const event: TrackedEvent = { id: randomId(), type, ts, seq: seq++, props, page, aid: profile.anonymousId, visit: profile.visits };
      if (profile.userId) event.uid = profile.userId;
      return { event, newVisit: profile.visits !== visits };
    },
    identify(userId, traits) {
      profile = { ...profile, userId, traits: { ...profile.traits, ...traits } };
    },
    reset() {
      profile = newProfile(now(), page);
    },
    save() {
      if (canWrite()) writeLocal('profile', profile);
    },
  };
}
