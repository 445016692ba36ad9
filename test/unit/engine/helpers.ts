import type { MicrosegConfig } from '../../../src/config/types';
import type { Profile, TrackedEvent } from '../../../src/shared/types';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A clock the test moves by hand. */
export function fakeClock(start: number) {
  let t = start;
  return {
    now: () => t,
    set: (to: number) => void (t = to),
    advance: (ms: number) => void (t += ms),
  };
}

let seq = 0;
export function event(type: string, props: Record<string, unknown>, ts: number, extra: Partial<TrackedEvent> = {}): TrackedEvent {
  return {
    id: `e${++seq}`,
    type,
    ts,
    seq,
    props,
    page: { url: 'https://shop.test/', path: '/', title: 'Shop', referrer: '' },
    aid: 'a1',
    visit: 1,
    ...extra,
  };
}

export function profile(firstSeen: number, over: Partial<Profile> = {}): Profile {
  return {
    anonymousId: 'a1',
    firstSeen,
    lastSeen: firstSeen,
    visits: 1,
    visitStart: firstSeen,
    device: 'desktop',
    channel: 'direct',
    utm: {},
    referrer: '',
    url: 'https://shop.test/',
    traits: {},
    ...over,
  };
}

export function loadConfig(name: string): MicrosegConfig {
  return JSON.parse(readFileSync(join(process.cwd(), 'test/unit/engine/configs', `${name}.json`), 'utf8')) as MicrosegConfig;
}

export const none = { entered: [], exited: [] };
