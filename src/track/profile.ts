import type { Profile } from '../shared/types';
import { randomId } from '../shared/util';
import { VISIT_IDLE } from '../shared/constants';
import { acquisition, deviceClass, type PageContext } from './context';

/** A visit ends after this long without any event. */
export { VISIT_IDLE };

export function newProfile(now: number, page: PageContext, anonymousId = randomId()): Profile {
  const acq = acquisition(page.url, page.referrer);
  return {
    anonymousId,
    firstSeen: now,
    lastSeen: now,
    visits: 1,
    visitStart: now,
    device: deviceClass(),
    channel: acq.channel,
    utm: acq.utm,
    referrer: acq.referrer,
    url: page.url,
    traits: {},
  };
}

/**
 * The profile as of an event at `now` on `page`. Returns the same object when nothing but
 * lastSeen/url moved, so callers can tell a new visit (`visits` changed) cheaply.
 */
export function touchProfile(profile: Profile, now: number, page: PageContext): Profile {
  if (now - profile.lastSeen > VISIT_IDLE) {
    const acq = acquisition(page.url, page.referrer);
    return {
      ...profile,
      visits: profile.visits + 1,
      visitStart: now,
      lastSeen: now,
      device: deviceClass(),
      channel: acq.channel,
      utm: acq.utm,
      referrer: acq.referrer,
      url: page.url,
    };
  }
  // A clock moved backwards must not make lastSeen go back in time.
  if (now > profile.lastSeen) profile.lastSeen = now;
  profile.url = page.url;
  return profile;
}

/** A stored profile from an older page or tab, checked field by field. */
export function isProfile(value: unknown): value is Profile {
  const p = value as Profile;
  return (
    typeof p === 'object' && p !== null &&
    typeof p.anonymousId === 'string' && typeof p.firstSeen === 'number' &&
    typeof p.lastSeen === 'number' && typeof p.visits === 'number' &&
    typeof p.visitStart === 'number' && typeof p.traits === 'object' && p.traits !== null
  );
}
