// Cross-journey labels ("sticky notes"): a name, when it was set, the channel that set it, an
// optional value and an expiry. Records are kept per (name, channel): a label is in force while
// any of its records is, and an expired record never hides another channel's. unlabel() leaves
// a tombstone on every channel (`*`), so an older set from anywhere cannot revive the label.
// Records are ordered by time, then by this device's sequence: on one device the later call
// wins even within one millisecond.
import { boundedValue } from './value';
import { plainJson, toJson } from '../shared/util';
import { DAY } from '../shared/constants';

export interface Label {
  name: string;
  /** When it was set, ms since the epoch (device clock; server times are corrected). */
  at: number;
  channel: string;
  value?: unknown;
  /** When it disappears, ms since the epoch; absent = never. */
  expires?: number;
  /** A tombstone: unlabel() at `at` (channel `*`: every channel). */
  deleted?: true;
  /** It came from the backend (labelsUrl), which stays the truth for it. */
  remote?: true;
  /** This device's order of its own calls: breaks ties between records of the same millisecond. */
  seq?: number;
}

/** Every record: name → channel → its newest record. Maps, so that any name is just a key. */
export type LabelRecords = Map<string, Map<string, Label>>;

/** What the engine and older stored state may hand in: records, a list, or the old name → label object. */
export type LabelInput = LabelRecords | Iterable<Label> | Record<string, Label> | null | undefined;

/** The channel of an unlabel() tombstone: it ends the label on every channel. */
export const EVERY_CHANNEL = '*';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/;
/** Channel names are cut to this length. */
export const CHANNEL_LENGTH = 40;

export function isLabelName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/** The order of two records: time, then this device's sequence, then a tombstone, then content (total, so every tab agrees). */
function compareRecords(a: Label, b: Label): number {
  return a.at - b.at || (a.seq ?? 0) - (b.seq ?? 0) || Number(!!a.deleted) - Number(!!b.deleted) || contentOrder(a, b);
}

function contentOrder(a: Label, b: Label): number {
  const x = plainJson([a.channel, a.value ?? null, a.expires ?? null, !!a.remote]);
  const y = plainJson([b.channel, b.value ?? null, b.expires ?? null, !!b.remote]);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Every record, as a list (what is stored, posted to other tabs and snapshotted). */
export function recordList(records: LabelRecords): Label[] {
  const out: Label[] = [];
  for (const channels of records.values()) for (const l of channels.values()) out.push(l);
  return out;
}

/** Records from anything the engine or older stored state hands in (trusted: the SDK's own data). */
export function asRecords(input: LabelInput): LabelRecords {
  if (input instanceof Map) return input;
  if (!input || typeof input !== 'object') return new Map();
  const list = Symbol.iterator in input ? [...(input as Iterable<Label>)] : Object.values(input as Record<string, Label>);
  return mergeLabels(new Map(), list);
}

/** Adds records: per (name, channel) the later one wins; records an all-channel tombstone outranks go. */
export function mergeLabels(records: LabelRecords, list: Iterable<Label>): LabelRecords {
  const out: LabelRecords = new Map();
  for (const [name, channels] of records) out.set(name, new Map(channels));
  const names = new Set<string>();
  for (const l of list) {
    let channels = out.get(l.name);
    if (!channels) out.set(l.name, (channels = new Map()));
    const current = channels.get(l.channel);
    if (!current || compareRecords(l, current) > 0) channels.set(l.channel, l);
    names.add(l.name);
  }
  for (const name of names) dropMasked(out, name);
  return out;
}

/** A record older than the name's all-channel tombstone can never be in force again. */
function dropMasked(records: LabelRecords, name: string): void {
  const channels = records.get(name);
  const tomb = channels?.get(EVERY_CHANNEL);
  if (!channels || !tomb) return;
  for (const [channel, l] of channels) if (channel !== EVERY_CHANNEL && compareRecords(l, tomb) < 0) channels.delete(channel);
}

/** The record that speaks for `name` at `now`: the newest of its records in force, if any. */
function inForce(channels: Map<string, Label>, now: number): Label | undefined {
  let best: Label | undefined;
  for (const l of channels.values()) {
    if (l.deleted || (l.expires !== undefined && l.expires <= now)) continue;
    if (!best || compareRecords(l, best) > 0) best = l;
  }
  return best;
}

/** Per name, the record in force at `now` (newest wins). */
export function labelsInForce(records: LabelRecords, now: number): Map<string, Label> {
  const out = new Map<string, Label>();
  for (const [name, channels] of records) {
    const l = inForce(channels, now);
    if (l) out.set(name, l);
  }
  return out;
}

/** The labels in force at `now`, one per name (its newest record in force), as the public API shows them. */
export function activeLabels(records: LabelRecords, now: number): Label[] {
  return [...labelsInForce(records, now).values()].map(publicLabel);
}

/** A copy for the page: what it does with it cannot reach the SDK's records. */
function publicLabel(l: Label): Label {
  const out: Label = { name: l.name, at: l.at, channel: l.channel };
  const copied = l.value === undefined ? undefined : boundedValue(l.value); // within bounds already: a cheap copy
  if (copied && 'value' in copied) out.value = copied.value;
  if (l.expires !== undefined) out.expires = l.expires;
  if (l.remote) out.remote = true;
  return out;
}

/** Drops what can no longer matter: tombstones and expired records older than `keep` (default 30 days). */
export function pruneLabels(records: LabelRecords, now: number, keep = 30 * DAY): LabelRecords {
  const out: LabelRecords = new Map();
  for (const [name, channels] of records) {
    const kept = new Map<string, Label>();
    for (const [channel, l] of channels) {
      const gone = l.deleted ? l.at : l.expires;
      if (gone === undefined || gone > now - keep) kept.set(channel, l);
    }
    if (kept.size) out.set(name, kept);
  }
  return out;
}

/** A fingerprint of the labels in force at `now`: a `label` event fires only when it moves. */
export function activeKey(records: LabelRecords, now: number): string {
  const rows = [...labelsInForce(records, now)].map(([name, l]) => [name, l.at, l.channel, l.value, l.expires]);
  return toJson(rows.sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
}

/** The next moment any record expires (the record in force for a name may change then). */
export function nextExpiry(records: LabelRecords, now: number): number | undefined {
  let next: number | undefined;
  for (const channels of records.values()) {
    for (const l of channels.values()) {
      if (!l.deleted && l.expires !== undefined && l.expires > now && (next === undefined || l.expires < next)) next = l.expires;
    }
  }
  return next;
}

/**
 * When and in which order a call made on this device at `now` happens: after every record of
 * `name` this device made, even if the clock went back (its tabs share records, so they share
 * the order), and after every record it knows of the same millisecond.
 */
export function localStamp(records: LabelRecords, name: string, now: number): { at: number; seq: number } {
  let at = now;
  let seq = 0;
  for (const channels of records.values()) {
    for (const l of channels.values()) {
      if (l.seq !== undefined && l.seq > seq) seq = l.seq;
      if (l.name === name && l.seq !== undefined && l.at > at) at = l.at;
    }
  }
  return { at, seq: seq + 1 };
}
