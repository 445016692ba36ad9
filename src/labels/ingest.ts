// Label records from outside — a labels backend, another tab, storage written by an older
// version — checked field by field: a bad record is refused on its own, the others are kept.
import { CHANNEL_LENGTH, EVERY_CHANNEL, isLabelName, type Label } from './labels';
import { boundedValue } from './value';
import type { RuntimeError } from '../shared/errors';

/** A device's sequence stays far below this; a bigger one could make later calls' numbers unsafe. */
const MAX_SEQ = 2 ** 40;

/** Options for reading a record from outside. */
interface ReadOptions {
  /** Server clock minus device clock: moves backend times onto the device's clock. */
  offset?: number;
  /** From the labels backend: marked remote, and it has no say in this device's order. */
  remote?: boolean;
}

/** One record from outside, checked field by field: the label, or why it was refused. */
function readLabel(raw: unknown, opts: ReadOptions = {}): { label: Label } | { refused: string } {
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
  if (r.seq !== undefined && !opts.remote && (typeof r.seq !== 'number' || !Number.isInteger(r.seq) || r.seq < 1 || r.seq > MAX_SEQ)) return why('"seq" must be a whole number from 1');
  const seq = opts.remote ? undefined : (r.seq as number | undefined);
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
export function refusedError(source: string, refused: string[], kept: number): RuntimeError {
  const first = refused.slice(0, 3).join('; ');
  const more = refused.length > 3 ? ` and ${refused.length - 3} more` : '';
  return { code: 'labels-invalid', message: `${refused.length} label record(s) from ${source} refused (${first}${more}); the other ${kept} kept` };
}

/** Stored records of any version: a list, or the name → label object older versions kept. */
export function storedList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value && typeof value === 'object' ? Object.values(value) : [];
}
