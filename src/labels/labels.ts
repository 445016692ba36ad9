// Cross-journey labels ("sticky notes"): a name, when it was set, the channel that set it, an
// optional value and an expiry. Records are kept per (name, channel): a label is in force while
// any of its records is, and an expired record never hides another channel's. unlabel() leaves
// a tombstone on every channel (`*`), so an older set from anywhere cannot revive the label.
// Records are ordered by time, then by this device's sequence: on one device the later call
// wins even within one millisecond.

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
const CHANNEL_LENGTH = 40;

export function isLabelName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/** The order of two records: time, then this device's sequence, then a tombstone, then content (total, so every tab agrees). */
export function compareRecords(a: Label, b: Label): number {
  return a.at - b.at || (a.seq ?? 0) - (b.seq ?? 0) || Number(!!a.deleted) - Number(!!b.deleted) || contentOrder(a, b);
}

function contentOrder(a: Label, b: Label): number {
  const x = JSON.stringify([a.channel, a.value ?? null, a.expires ?? null, !!a.remote]);
  const y = JSON.stringify([b.channel, b.value ?? null, b.expires ?? null, !!b.remote]);
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
  if (l.value !== undefined) out.value = structuredClone(l.value);
  if (l.expires !== undefined) out.expires = l.expires;
  if (l.remote) out.remote = true;
  return out;
}

/** Drops what can no longer matter: tombstones and expired records older than `keep` (default 30 days). */
export function pruneLabels(records: LabelRecords, now: number, keep = 30 * 86_400_000): LabelRecords {
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
  return JSON.stringify(rows.sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
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

// ---- untrusted records: a labels backend, another tab, storage written by an older version ----

/** Label values: at most this many levels of nested arrays/objects. */
export const MAX_VALUE_DEPTH = 8;
/** Label values: at most this many characters as JSON. */
export const MAX_VALUE_SIZE = 4096;

class Refused extends Error {}

/**
 * A JSON-data copy of a label value within the bounds (depth, size), or a sentence saying why
 * not. The walk stops as soon as a bound is crossed, so a value 3,000 levels deep or a
 * shared-reference graph that expands to gigabytes costs no more than the bound.
 */
export function boundedValue(value: unknown): { value: unknown } | { refused: string } {
  const budget = { left: MAX_VALUE_SIZE };
  try {
    return { value: copy(value, 0, budget) };
  } catch (e) {
    return { refused: e instanceof Refused ? e.message : `its value could not be read (${(e as Error)?.message ?? e})` };
  }
}

function spend(budget: { left: number }, n: number): void {
  budget.left -= n;
  if (budget.left < 0) throw new Refused(`its value is larger than ${MAX_VALUE_SIZE} characters of JSON`);
}

function copy(value: unknown, depth: number, budget: { left: number }): unknown {
  switch (typeof value) {
    case 'string':
      spend(budget, value.length + 2);
      return value;
    case 'boolean':
      spend(budget, 5);
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new Refused('its value holds a number that JSON cannot carry');
      spend(budget, String(value).length);
      return value;
    case 'object': {
      if (value === null) {
        spend(budget, 4);
        return null;
      }
      if (value instanceof Date) return copy(Number.isNaN(value.getTime()) ? null : value.toISOString(), depth, budget);
      if (depth >= MAX_VALUE_DEPTH) throw new Refused(`its value nests deeper than ${MAX_VALUE_DEPTH} levels`);
      spend(budget, 2);
      if (Array.isArray(value)) {
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
          spend(budget, 1);
          const v = copy(value[i], depth + 1, budget);
          out.push(v === undefined ? null : v);
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new Refused('its value is not plain data (arrays, objects, strings, numbers, booleans, null)');
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const v = copy((value as Record<string, unknown>)[key], depth + 1, budget);
        if (v === undefined) continue;
        spend(budget, key.length + 4);
        // A key named "__proto__" stays data, never the copy's prototype.
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined; // as JSON: left out of objects, null in arrays
    default:
      throw new Refused(`its value holds a ${typeof value}, which JSON cannot carry`);
  }
}

/** Options for reading a record from outside. */
interface ReadOptions {
  /** Server clock minus device clock: moves backend times onto the device's clock. */
  offset?: number;
  /** From the labels backend: marked remote, and it has no say in this device's order. */
  remote?: boolean;
}

/** One record from outside, checked field by field: the label, or why it was refused. */
export function readLabel(raw: unknown, opts: ReadOptions = {}): { label: Label } | { refused: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { refused: 'a label must be an object' };
  const r = raw as Record<string, unknown>;
  const name = r.name;
  if (!isLabelName(name)) return { refused: `${JSON.stringify(name)?.slice(0, 70) ?? String(name)} is not a label name (letters, digits, _ . : -; at most 64)` };
  const why = (text: string) => ({ refused: `label "${name}": ${text}` });
  if (typeof r.at !== 'number' || !Number.isFinite(r.at)) return why('"at" must be a time in ms');
  if (r.channel !== undefined && (typeof r.channel !== 'string' || !r.channel)) return why('"channel" must be a non-empty string');
  if (r.deleted !== undefined && typeof r.deleted !== 'boolean') return why('"deleted" must be true or false');
  if (r.expires !== undefined && r.expires !== null && (typeof r.expires !== 'number' || !Number.isFinite(r.expires))) return why('"expires" must be a time in ms');
  const offset = opts.offset ?? 0;
  const seq = !opts.remote && typeof r.seq === 'number' && Number.isSafeInteger(r.seq) && r.seq > 0 ? r.seq : undefined;
  // An unlabel() stored or sent by an older version (no sequence, not remote) removed every channel.
  const olderUnlabel = r.deleted === true && !opts.remote && r.remote !== true && seq === undefined;
  const channel = olderUnlabel ? EVERY_CHANNEL : typeof r.channel === 'string' ? r.channel.slice(0, CHANNEL_LENGTH) : 'unknown';
  const label: Label = { name, at: r.at - offset, channel };
  if (r.deleted === true) label.deleted = true;
  else {
    if (channel === EVERY_CHANNEL) return why(`"${EVERY_CHANNEL}" is the channel of unlabel() only`);
    if (r.value !== undefined && r.value !== null) {
      const v = boundedValue(r.value);
      if ('refused' in v) return why(v.refused);
      label.value = v.value;
    }
    if (typeof r.expires === 'number') label.expires = r.expires - offset;
  }
  if (opts.remote || r.remote === true) label.remote = true;
  if (seq !== undefined) label.seq = seq;
  return { label };
}

/** Many records from outside: the good ones, and a sentence for each one refused. */
export function readLabels(list: unknown, opts: ReadOptions = {}): { labels: Label[]; refused: string[] } {
  const labels: Label[] = [];
  const refused: string[] = [];
  if (!Array.isArray(list)) return { labels, refused: list === undefined ? [] : ['labels must come as a list'] };
  for (const raw of list) {
    const r = readLabel(raw, opts);
    if ('label' in r) labels.push(r.label);
    else refused.push(r.refused);
  }
  return { labels, refused };
}

/** The one `error` event for the records of one answer, message or stored copy that were refused. */
export function refusedError(source: string, refused: string[], kept: number): { code: string; message: string } {
  const first = refused.slice(0, 3).join('; ');
  const more = refused.length > 3 ? ` and ${refused.length - 3} more` : '';
  return { code: 'labels-invalid', message: `${refused.length} label record(s) from ${source} refused (${first}${more}); the other ${kept} kept` };
}

/** Stored records of any version: a list, or the name → label object older versions kept. */
export function storedList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value && typeof value === 'object' ? Object.values(value) : [];
}
