// Many tabs, one profile: each tab tells the others what it recorded, so every tab's segment engine
// counts every event exactly once (event ids deduplicate) and label changes and forget() reach
// every open tab at once. Events are batched: a burst of track() calls posts once, and while
// events keep coming the channel posts at most once per EVENTS_WINDOW (a post costs ~100 µs in
// Chromium whatever it holds). What waits is posted before any other message, and at once when
// the page is hidden or the channel closes.
import type { TrackedEvent } from '../shared/types';
import type { Label } from '../labels';
import { listen, pageHidden } from '../shared/page';
import { setTimer } from '../shared/timer';

/** While events keep coming, the other tabs hear of them this often at most (ms). */
const EVENTS_WINDOW = 50;

export type TabMessage =
  | { t: 'events'; events: TrackedEvent[] }
  /** `set`: labels set or removed here (newest wins); `remote`: the backend's full list (it stays the truth). */
  | { t: 'labels'; set?: Label[]; remote?: Label[] }
  /** The config in force in this tab, exactly as received (signature included): verified and validated again. */
  | { t: 'config'; text: string }
  | { t: 'forget' };

export interface TabChannel {
  /** Hears what the other tabs say (one listener: the SDK's, attached once its parts exist). */
  listen(onMessage: (message: TabMessage) => void): void;
  /** Told to the other tabs with the next batch (after the current task; within EVENTS_WINDOW in a stream). */
  event(event: TrackedEvent): void;
  /** Posts at once, after the events that wait. */
  post(message: TabMessage): void;
  /** Consent denied: the events that wait are never posted. */
  discard(): void;
  close(): void;
}

export function createTabChannel(name: string, onMessage: (message: TabMessage) => void = () => {}): TabChannel {
  let channel: BroadcastChannel | undefined;
  try {
    channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : undefined;
  } catch {
    channel = undefined; // sandboxed or opaque origins: each tab stands alone
  }
  if (channel) {
    channel.onmessage = (e: MessageEvent<TabMessage>) => {
      try {
        if (e.data && typeof e.data === 'object') onMessage(e.data);
      } catch {
        // a malformed message from another version of the SDK must not break this tab
      }
    };
  }
  let batch: TrackedEvent[] = [];
  /** A post went out less than EVENTS_WINDOW ago: new events wait for the window to end. */
  let cooling = false;
  let queued = false;
  const send = (message: TabMessage) => {
    try {
      channel?.postMessage(message);
    } catch {
      // an event that cannot be cloned stays local: this tab already counted it
    }
  };
  const flush = () => {
    queued = false;
    if (!batch.length) return;
    const events = batch;
    batch = [];
    send({ t: 'events', events });
    if (cooling) return;
    cooling = true;
    setTimer(() => {
      cooling = false;
      flush();
    }, EVENTS_WINDOW);
  };
  const unlisten = typeof document === 'undefined' ? () => {} : listen(document, 'visibilitychange', () => pageHidden() && flush());
  return {
    listen(handler) {
      onMessage = handler;
    },
    event(event) {
      if (!channel) return;
      batch.push(event);
      if (cooling || queued) return;
      queued = true;
      queueMicrotask(flush);
    },
    post(message) {
      flush(); // in order: what this tab recorded before the message
      send(message);
    },
    discard() {
      batch = [];
    },
    close() {
      flush();
      unlisten();
      channel?.close();
      channel = undefined;
    },
  };
}
