// Many tabs, one profile: each tab tells the others what it recorded, so every tab's segment engine
// counts every event exactly once (event ids deduplicate) and label changes and forget() reach
// every open tab at once. Messages are batched per task: a burst of track() calls posts once.
import type { TrackedEvent } from '../shared/types';
import type { Label } from '../labels';

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
  event(event: TrackedEvent): void;
  post(message: TabMessage): void;
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
  const post = (message: TabMessage) => {
    try {
      channel?.postMessage(message);
    } catch {
      // an event that cannot be cloned stays local: this tab already counted it
    }
  };
  return {
    listen(handler) {
      onMessage = handler;
    },
    event(event) {
      if (!channel) return;
      if (!batch.length) {
        queueMicrotask(() => {
          const events = batch;
          batch = [];
          post({ t: 'events', events });
        });
      }
      batch.push(event);
    },
    post,
    close() {
      channel?.close();
      channel = undefined;
    },
  };
}
