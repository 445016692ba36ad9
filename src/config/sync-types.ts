// The face of config sync (options, errors, the sync itself) and the state its parts share.
import type { MicrosegConfig } from './types';
import type { ConfigIssue } from './schema';
import type { Validate } from './validator';
import type { PublicKeyInput } from './signature';
import type { ConfigErrorCode } from '../shared/errors';

/** Where the last good config is kept between pages (the core passes its IndexedDB key-value store). */
export interface ConfigStorage {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

export type ConfigSource = 'cache' | 'network' | 'inline' | 'sse' | 'tab';

export interface ConfigSyncError {
  code: ConfigErrorCode | 'internal';
  message: string;
  /** JSON path of the first offending node, when the config itself is at fault. */
  path?: string;
  /** Every problem found, for config-invalid. */
  errors?: ConfigIssue[];
  source?: ConfigSource;
}

export interface ConfigSyncOptions {
  /** Where the config (or its signed envelope) is published. */
  configUrl?: string;
  /** A config given in the page: object, JSON text or signed envelope. Used instead of the cached copy. */
  config?: unknown;
  /** Poll every this many ms (paused while the tab is hidden). Without it, one fetch per page. */
  refresh?: number;
  /** Server-Sent Events: a URL, or true for configUrl itself (an EventSource asks for text/event-stream). Each message is a config or envelope. */
  sse?: string | boolean;
  /** With a key (or several, for rotation), only correctly signed envelopes are accepted. */
  publicKey?: PublicKeyInput | PublicKeyInput[];
  storage?: ConfigStorage;
  /** Key of the last good config in `storage`; default "config". */
  storageKey?: string;
  /** `text`: the document as received (an envelope keeps its signature). */
  onConfig?: (config: MicrosegConfig, info: { source: ConfigSource; text: string }) => void;
  /**
   * The document in force, exactly as received, after every successful fetch (a 304 too) or push:
   * for the other tabs, so one that missed a change catches up by the next poll.
   */
  onShare?: (text: string) => void;
  /**
   * false: another tab polls and holds the stream (see lead()); this one fetches once per page,
   * and again whenever it is shown (at most once a second). Default true.
   */
  leader?: boolean;
  onError?: (error: ConfigSyncError) => void;
  /** Longest wait between retries after errors, ms; default 5 minutes. */
  maxBackoff?: number;
  /** For tests and odd environments. */
  fetch?: typeof fetch;
  loadValidator?: () => Promise<Validate>;
  EventSource?: new (url: string) => EventSourceLike;
  random?: () => number;
}

export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  onerror: ((event: unknown) => void) | null;
  close(): void;
}

export interface ConfigSync {
  /** Settles (never rejects) once a config is in force from inline/cache, or the first fetch is over. */
  ready: Promise<MicrosegConfig | undefined>;
  current(): MicrosegConfig | undefined;
  /** Fetch now. */
  refresh(): Promise<void>;
  /** This tab becomes (true) or stops being (false) the one that polls and holds the stream. */
  lead(on: boolean): void;
  /**
   * A document another tab passed on, never stored here. It is verified (signature) and validated
   * like any other; the one in force again, or an older one, is a no-op.
   */
  offer(text: string): Promise<boolean>;
  stop(): void;
}

export interface StoredConfig {
  url?: string;
  etag?: string;
  /** The document exactly as received (an envelope keeps its signature, and is checked again on load). */
  text: string;
  /** RULES_VERSION it was validated under: the same rules need not load the validator again. */
  checked?: number;
}

/** What the parts of one sync read and change. */
export interface SyncState {
  current?: MicrosegConfig;
  /** The document in force as received, for the other tabs. */
  currentText?: string;
  /** The last older document refused, so that polling a lagging copy reports it once. */
  olderText?: string;
  /** The ETag of the network copy in force: sent as If-None-Match. */
  etag?: string;
  stored?: StoredConfig;
  stopped: boolean;
  /** This tab polls and holds the stream. */
  leading: boolean;
}

/** Checks a document (text or value) and puts it in force if its version is new; `checked`: validated before. */
export type Accept = (input: unknown, source: ConfigSource, meta?: { etag?: string | null; checked?: boolean }) => Promise<boolean>;

/** Runs a task after every one queued before it: fetches and messages are handled in arrival order. */
export type Serial = <T>(task: () => Promise<T>) => Promise<T>;

/** Tells onError (never throwing); always false, for `return fail(…)`. */
export type Fail = (error: ConfigSyncError) => false;
