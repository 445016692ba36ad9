// Cross-journey labels ("sticky notes"): a name, when it was set, the channel that set it, an
// optional value and an expiry. Unlabel leaves a tombstone so an older set elsewhere cannot revive it.

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

/** The next moment a label expires (for one timer instead of polling). */
export function nextExpiry(records: LabelRecords, now: number): number | undefined {
  let next: number | undefined;
  for (const l of Object.values(records)) {
    if (!l.deleted && l.expires !== undefined && l.expires > now && (next === undefined || l.expires < next)) next = l.expires;
  }
  return next;
}
