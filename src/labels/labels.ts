// Cross-journey labels ("sticky notes"): a name, when it was set, the channel that set it, an
// optional value and an expiry. Unlabel leaves a tombstone so an older set elsewhere cannot revive it.
import { toJson } from '../core/util';

export interface Label {
  name: string;
  /** When it was set, ms since the epoch (device clock; server times are corrected). */
  at: number;
  channel: string;
  value?: unknown;
  /** When it disappears, ms since the epoch; absent = never. */
  expires?: number;
  /** A tombstone: unlabel() at `at`. */
  deleted?: true;
  /** It came from the backend (labelsUrl), which stays the truth for it. */
  remote?: true;
}

export type LabelRecords = Record<string, Label>;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/;

export function isLabelName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/** Newest timestamp wins per name; a tombstone counts as a set. */
export function mergeLabels(a: LabelRecords, b: Iterable<Label>): LabelRecords {
  const out: LabelRecords = { ...a };
  for (const label of b) {
    const current = out[label.name];
    if (!current || label.at > current.at) out[label.name] = label;
  }
  return out;
}

/** The labels in force at `now`: no tombstones, nothing expired. */
export function activeLabels(records: LabelRecords, now: number): Label[] {
  return Object.values(records).filter((l) => !l.deleted && (l.expires === undefined || l.expires > now));
}

/** Drops what can no longer matter: tombstones and expired labels older than `keep` (default 30 days). */
export function pruneLabels(records: LabelRecords, now: number, keep = 30 * 86_400_000): LabelRecords {
  const out: LabelRecords = {};
  for (const [name, l] of Object.entries(records)) {
    const gone = l.deleted ? l.at : l.expires;
    if (gone === undefined || gone > now - keep) out[name] = l;
  }
  return out;
}

/** A fingerprint of the labels in force at `now`: a `label` event fires only when it moves. */
export function activeKey(records: LabelRecords, now: number): string {
  return toJson(activeLabels(records, now).map((l) => [l.name, l.at, l.channel, l.value, l.expires]).sort());
}

/** The next moment a label expires (for one timer instead of polling). */
export function nextExpiry(records: LabelRecords, now: number): number | undefined {
  let next: number | undefined;
  for (const l of Object.values(records)) {
    if (!l.deleted && l.expires !== undefined && l.expires > now && (next === undefined || l.expires < next)) next = l.expires;
  }
  return next;
}
