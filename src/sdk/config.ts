// The configuration's way into the page: sync from the page, cache and network; one tab polls and holds
// the stream (a lease), the others hear of new documents over the tab channel and check them again.
import { createConfigSync, type ConfigSync, type ConfigSyncOptions } from '../config';
import type { MicrosegConfig } from '../config/types';
import type { ConfigSource } from '../config/sync';
import { loadLease } from '../config/parts';
import type { Lease } from '../config/lease';

export interface ConfigWiringDeps extends Pick<ConfigSyncOptions, 'configUrl' | 'config' | 'refresh' | 'sse' | 'publicKey' | 'storage' | 'onError'> {
  /** The lease's name: one per site database. */
  leaseName: string;
  /** A checked document: hand it to the segments; resolves when it is in force. */
  apply: (config: MicrosegConfig, source: ConfigSource) => Promise<void>;
  /** The document in force, as received, for the other tabs. */
  share: (text: string) => void;
}

export interface ConfigWiring {
  /** Starts syncing; resolves when the first document (if any) is in force. */
  start(): Promise<void>;
  /** A document another tab holds; kept until start() when it comes earlier. */
  offer(text: string): void;
  stop(): void;
}

export function wireConfig(deps: ConfigWiringDeps): ConfigWiring {
  let sync: ConfigSync | undefined;
  let lease: Lease | undefined;
  let stopped = false;
  let offeredEarly: string | undefined;
  let applying: Promise<void> = Promise.resolve();
  return {
    start() {
      if (!deps.configUrl && deps.config === undefined) return Promise.resolve();
      // Polling and the stream are one tab's work: the others hear of new configs through the tab channel.
      const shared = !!deps.configUrl && (!!deps.refresh || !!deps.sse);
      sync = createConfigSync({
        leader: !shared,
        configUrl: deps.configUrl,
        config: deps.config,
        refresh: deps.refresh,
        sse: deps.sse,
        publicKey: deps.publicKey,
        storage: deps.storage,
        onConfig: (config, { source }) => void (applying = deps.apply(config, source)),
        onShare: deps.share,
        onError: deps.onError,
      });
      if (offeredEarly !== undefined) void sync.offer(offeredEarly);
      if (shared) {
        void loadLease().then(
          (acquire) => void (stopped || (lease = acquire(deps.leaseName, (held) => sync?.lead(held)))),
          () => sync?.lead(true), // without the lease's code this tab does the work itself, as without Web Locks
        );
      }
      return sync.ready.then(() => applying);
    },
    offer(text) {
      if (sync) void sync.offer(text);
      else offeredEarly = text;
    },
    stop() {
      stopped = true;
      sync?.stop();
      lease?.release();
    },
  };
}
