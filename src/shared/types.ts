/** One thing the visitor did, as stored and as seen by the segment engine. */
export interface TrackedEvent {
  /** Unique id: events are deduplicated by it everywhere (store, tabs, backend). */
  id: string;
  /** "page", "purchase", "view_item", "$exposure", "$click", ... */
  type: string;
  /** Milliseconds since the epoch, device clock. */
  ts: number;
  /** Order of events with the same `ts` within one page. */
  seq: number;
  props: Record<string, unknown>;
  /** Page context at the moment of the event. */
  page: { url: string; path: string; title: string; referrer: string };
  /** Anonymous visitor id, kept across visits. */
  aid: string;
  /** Known user id, after identify(). */
  uid?: string;
  /** Visit number this event belongs to (1-based). */
  visit: number;
}

export type DeviceClass = 'mobile' | 'tablet' | 'desktop';

/** What the SDK knows about the visitor without any config. */
export interface Profile {
  anonymousId: string;
  userId?: string;
  firstSeen: number;
  lastSeen: number;
  visits: number;
  visitStart: number;
  device: DeviceClass;
  /** The current visit's acquisition channel: "direct", "search", "social", "email", "paid", "referral", or utm_medium. */
  channel: string;
  utm: Record<string, string>;
  referrer: string;
  url: string;
  traits: Record<string, unknown>;
}
