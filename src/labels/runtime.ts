// The visitor's labels while the page runs: one set of records that every change goes through
// (the site's label()/unlabel(), storage, other tabs, the backend), expiry at the moment it falls due,
// and the backend's labels when a labels URL is given.
import type { Reporter } from '../shared/errors';
import { setTimer } from '../shared/timer';
import { parseDuration } from '../config/time';
import { activeKey, activeLabels, EVERY_CHANNEL, CHANNEL_LENGTH, isLabelName, localStamp, mergeLabels, nextExpiry, pruneLabels, recordList, type Label, type LabelRecords } from './labels';
import { boundedValue } from './value';
import { readLabels, refusedError, storedList } from './ingest';
import { mergeRemote, type createRemoteLabels, type RemoteLabels, type RemoteLabelsOptions } from './remote';

/** What the site passes to label(name, options). */
export interface LocalLabelOptions {
  value?: unknown;
  ttl?: number | string;
  channel?: string;
}

export interface LabelsRuntimeDeps {
  now: () => number;
  report: Reporter;
  /** Keeps the records (storage refuses while consent is not granted). */
  save: (records: Label[]) => void;
  /** The records changed: segments and decisions follow. */
  changed: (records: LabelRecords) => void;
  /** The labels in force changed (the public `label` event). */
  announce: (labels: Label[]) => void;
  /** Tells the other tabs what changed here. */
  share: (change: { set?: Label[]; remote?: Label[] }) => void;
  /** The backend's labels: its URL, stream and who asks, and the part that fetches them (loaded on demand); absent without a labels URL. */
  remote?: { options: Omit<RemoteLabelsOptions, 'now' | 'onLabels' | 'onError'>; load: () => Promise<typeof createRemoteLabels> };
}

export interface LabelsRuntime {
  records(): LabelRecords;
  /** The labels in force now. */
  active(): Label[];
  /** label(name, options): the problem with the arguments, or undefined once it is set. */
  set(name: string, options: LocalLabelOptions, defaultTtl: string | undefined): string | undefined;
  /** unlabel(name): every channel's record of it ends now. */
  remove(name: string): void;
  /** Records kept by an earlier page. */
  restore(stored: unknown): void;
  /** Another tab's change: records checked one by one, applied without telling anyone. */
  fromTab(change: { set?: unknown; remote?: unknown }): void;
  /** The page is back: labels that expired meanwhile leave now. */
  revisit(): void;
  clear(): void;
  refresh(): Promise<void>;
  refreshIfOlder(age: number): void;
  pause(): void;
  stop(): void;
}

/** The expiry a label(…) call asks for: undefined for none, NaN when the ttl given is not one. */
function ttlOf(given: unknown, defaultTtl: string | undefined): number | undefined {
  if (given === undefined) return defaultTtl ? parseDuration(defaultTtl) || undefined : undefined;
  if (typeof given === 'number') return Number.isFinite(given) && given > 0 ? given : NaN;
  return parseDuration(given as string);
}

export function createLabelsRuntime(deps: LabelsRuntimeDeps): LabelsRuntime {
  const { now, report } = deps;
  let records: LabelRecords = new Map();
  let inForce = '[]';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let remote: RemoteLabels | undefined;
  const connecting = deps.remote && connect(deps.remote);

  async function connect(given: NonNullable<LabelsRuntimeDeps['remote']>): Promise<RemoteLabels | undefined> {
    try {
      const create = await given.load();
      remote = create({
        ...given.options,
        now,
        onLabels: (list) => {
          apply(mergeRemote(records, list));
          deps.share({ remote: list });
        },
        onError: report,
      });
      if (stopped) remote.stop();
      return remote;
    } catch (cause) {
      report({ code: 'labels-fetch', message: `the labels backend's part could not be loaded (${(cause as Error)?.message})`, cause });
      return undefined;
    }
  }

  /** Every change goes through here: segments and decisions follow at once. */
  function apply(next: LabelRecords): void {
    records = pruneLabels(next, now());
    deps.save(recordList(records));
    deps.changed(records);
    scheduleExpiry();
    const key = activeKey(records, now());
    if (key === inForce) return;
    inForce = key;
    deps.announce(activeLabels(records, now()));
  }

  /** An expired label leaves at its expiry, not on the next page load. */
  function scheduleExpiry(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const at = nextExpiry(records, now());
    if (at === undefined || stopped) return;
    timer = setTimer(() => apply(records), at - now() + 1);
  }

  /** Records from another tab or storage: the bad ones are refused with one error event. */
  function read(list: unknown, source: string, fromBackend = false): Label[] {
    const { labels, refused } = readLabels(list, { remote: fromBackend });
    if (refused.length) report(refusedError(source, refused, labels.length));
    return labels;
  }

  function local(label: Label): void {
    apply(mergeLabels(records, [label]));
    deps.share({ set: [label] });
  }

  return {
    records: () => records,
    active: () => activeLabels(records, now()),
    set(name, options, defaultTtl) {
      const ttl = ttlOf(options.ttl, defaultTtl);
      if (Number.isNaN(ttl)) return `label("${name}"): ttl must be a positive number of ms or a duration like "14d"`;
      const channel = typeof options.channel === 'string' && options.channel ? options.channel.slice(0, CHANNEL_LENGTH) : 'web';
      if (channel === EVERY_CHANNEL) return `label("${name}"): "${EVERY_CHANNEL}" is not a channel`;
      const value = options.value === undefined ? undefined : boundedValue(options.value);
      if (value && 'refused' in value) return `label("${name}"): ${value.refused}`;
      const label: Label = { name, channel, ...localStamp(records, name, now()) };
      if (value && value.value !== undefined) label.value = value.value;
      if (ttl !== undefined) label.expires = label.at + ttl;
      local(label);
      return undefined;
    },
    remove(name) {
      local({ name, channel: EVERY_CHANNEL, deleted: true, ...localStamp(records, name, now()) });
    },
    restore(stored) {
      const list = read(storedList(stored), 'storage');
      if (list.length) apply(mergeLabels(records, list));
    },
    fromTab(change) {
      let next = records;
      if (change.set) next = mergeLabels(next, read(change.set, 'another tab'));
      if (change.remote) next = mergeRemote(next, read(change.remote, 'another tab', true));
      apply(next);
    },
    revisit() {
      if (inForce !== activeKey(records, now())) apply(records);
    },
    clear: () => apply(new Map()),
    refresh: async () => void (await (await connecting)?.refresh()),
    refreshIfOlder: (age) => remote?.refreshIfOlder(age), // until it is loaded, its first fetch is on its way
    pause: () => (remote ? remote.pause() : void connecting?.then((r) => r?.pause())),
    stop() {
      stopped = true;
      remote?.stop();
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

