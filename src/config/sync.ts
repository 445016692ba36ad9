// Keeps the config current in the browser: inline or last good copy at once, then the network
// (ETag revalidation), optional polling and Server-Sent Events. A document is accepted whole
// or not at all; whatever fails becomes onError and the config in force stays.
import { createAccept } from './sync-accept';
// The script-tag build swaps these modules for its own loaders (rollup.config.mjs names this file).
import { loadValidator } from './validator';
import { loadStream, loadVerifier } from './parts';
import { createPolling } from './sync-network';
import { checkedBefore, digestOf, inlineKey, inlineRecord, readStored, writeStored } from './sync-store';
import { toJson } from '../shared/util';
import { listen } from '../shared/page';
import type { ConfigSync, ConfigSyncError, ConfigSyncOptions, EventSourceLike, StoredConfig, SyncState } from './sync-types';

export type { ConfigStorage, ConfigSource, ConfigSync, ConfigSyncError, ConfigSyncOptions, EventSourceLike } from './sync-types';

export function createConfigSync(opts: ConfigSyncOptions): ConfigSync {
  const url = opts.configUrl;
  const key = opts.storageKey ?? 'config';
  const state: SyncState = { stopped: false, leading: opts.leader !== false };
  let events: EventSourceLike | undefined;
  // Every fetch and message is handled in arrival order, one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };

  const fail = (error: ConfigSyncError): false => {
    if (!state.stopped) {
      try {
        opts.onError?.(error);
      } catch {
        // the host's handler; its bug is not ours to throw
      }
    }
    return false;
  };

  /** The copy this device stored, until the first share: every tab reads it itself, so the start's fetch that finds it again tells none. */
  let storedText: string | undefined;
  /** Tells the other tabs which document is in force here, after each of this tab's polls and pushes (a first fetch that found the stored copy excepted). */
  function share(): void {
    const known = state.currentText === storedText;
    storedText = undefined;
    if (state.stopped || state.currentText === undefined || known) return;
    try {
      opts.onShare?.(state.currentText);
    } catch {
      // the host's channel
    }
  }

  const accept = createAccept(opts, state, fail, { validator: opts.loadValidator ?? loadValidator, verifier: loadVerifier });
  // Every document of a site with a key is checked with it: its code loads while storage is read.
  if (opts.publicKey) loadVerifier().catch(() => {}); // a failed load is told when a document needs it
  const polling = createPolling(opts, state, { accept, serial, fail, share });
  const sseUrl = opts.sse === true ? url : opts.sse || undefined;
  let opening = false;
  /** Opens the stream once its code has loaded, if this tab still leads by then. */
  function openEvents(): void {
    if (events || opening) return;
    opening = true;
    loadStream().then(
      (open) => {
        opening = false;
        if (state.leading && !state.stopped && !events) events = open(sseUrl, opts, { accept, serial, fail, share, fetchOnce: polling.fetchOnce });
      },
      (err: unknown) => {
        opening = false;
        fail({ code: 'config-sse', message: `the config stream could not be loaded (${(err as Error)?.message})`, source: 'sse' });
      },
    );
  }

  /**
   * The page's own config. Checked in full once per text and RULES_VERSION: then the digest of the
   * text is remembered, and the next page with the same text skips the validator (not the signature).
   */
  async function acceptInline(): Promise<void> {
    const text = typeof opts.config === 'string' ? opts.config : toJson(opts.config);
    const storage = opts.storage;
    const [digest, record] = await Promise.all([digestOf(text), storage && readStored(storage, inlineKey(key))]);
    const checked = checkedBefore(record, digest);
    const ok = await serial(() => accept(opts.config, 'inline', { checked }));
    if (ok && !checked && digest) writeStored(storage, inlineKey(key), inlineRecord(digest));
  }

  /** The last good copy of this URL, put in force at once; its ETag is sent with the first fetch. */
  async function acceptCached(): Promise<void> {
    const record = (await readStored(opts.storage!, key)) as StoredConfig | undefined;
    if (record && typeof record.text === 'string' && record.url === url) {
      state.stored = record;
      if (await serial(() => accept(record.text, 'cache'))) {
        state.etag = record.etag;
        storedText = record.text;
      }
    }
  }

  let offVisibility = () => {};
  async function start(): Promise<void> {
    if (opts.config !== undefined) await acceptInline();
    else if (opts.storage) await acceptCached(); // a blocked IndexedDB must not hold the network back
    offVisibility = listen(typeof document === 'undefined' ? undefined : document, 'visibilitychange', polling.onVisible);
    if (opts.sse && state.leading && !state.stopped) openEvents();
    // The first fetch runs even in a hidden tab: only polling waits for the tab to show.
    if (url) {
      const first = polling.poll();
      if (!state.current) await first;
    }
  }

  const ready = start().then(
    () => state.current,
    (err) => (fail({ code: 'internal', message: `config sync failed to start: ${(err as Error)?.message ?? err}` }), state.current),
  );

  return {
    ready,
    current: () => state.current,
    refresh: () => (state.stopped ? Promise.resolve() : polling.poll()),
    lead(on) {
      if (state.stopped || on === state.leading) return;
      state.leading = on;
      if (!on) {
        events?.close();
        events = undefined;
        return;
      }
      if (opts.sse) openEvents();
      polling.resume();
    },
    offer: (text) => (state.stopped || typeof text !== 'string' ? Promise.resolve(false) : serial(() => accept(text, 'tab'))),
    stop() {
      state.stopped = true;
      polling.stop();
      events?.close();
      offVisibility();
    },
  };
}
