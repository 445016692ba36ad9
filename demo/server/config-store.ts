// The published configuration: one JSON document, served with a strong ETag and pushed to open
// pages whenever it changes (file edit, or an authenticated POST). With a database, the newest
// document lives in it and a NOTIFY tells every instance to load it, so instances stay stateless.
import { createHash } from 'node:crypto';
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { MicrosegConfig } from '../../src/config/types';
import type { Db } from './db';
import { validateConfig } from './validate-config';

export interface PublishedConfig {
  text: string;
  etag: string;
  version: string;
  /** The config itself: the payload of a signed envelope. */
  config: MicrosegConfig;
  /** Published as a signed envelope: the server cannot change it (params) without the key. */
  signed: boolean;
}

const CHANNEL = 'microseg_config';

// Served until the demo's config file exists.
export const PLACEHOLDER_CONFIG = { schema: 1, version: 'demo-0', segments: [{ id: 'everyone', fallback: true }] };

export class ConfigStore {
  private current: PublishedConfig;
  private readonly listeners = new Set<(config: PublishedConfig) => void>();
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private unlisten?: () => Promise<void>;

  private constructor(private readonly path: string, initial: PublishedConfig, private readonly db?: Db) {
    this.current = initial;
  }

  static async open(path: string, db?: Db): Promise<ConfigStore> {
    const text = JSON.stringify(PLACEHOLDER_CONFIG, null, 2);
    const store = new ConfigStore(path, publish(text, validateConfig(text) as Extract<ReturnType<typeof validateConfig>, { ok: true }>), db);
    const shared = await store.loadShared();
    // The file wins only when edited after the shared copy was published (or there is none).
    if (!shared || (existsSync(path) && statSync(path).mtimeMs > shared.publishedAt)) await store.reload();
    if (db) store.unlisten = await db.listen(CHANNEL, () => void store.loadShared().catch(() => {}));
    store.watch();
    return store;
  }

  get(): PublishedConfig {
    return this.current;
  }

  onChange(listener: (config: PublishedConfig) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Validates and publishes `text`; a rejected config changes nothing. */
  async replace(text: string): Promise<{ ok: true; config: PublishedConfig } | { ok: false; errors: string[] }> {
    const result = validateConfig(text);
    if (!result.ok) return result;
    const next = publish(text, result);
    this.set(next); // this instance's pages first; the others hear the NOTIFY
    if (this.db) {
      await this.db.query(
        `INSERT INTO published_config (id, text, etag, published_at) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET text = excluded.text, etag = excluded.etag, published_at = excluded.published_at`,
        [text, next.etag, Date.now()],
      );
      await this.db.notify(CHANNEL, next.etag);
    }
    return { ok: true, config: next };
  }

  close(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.listeners.clear();
    void this.unlisten?.().catch(() => {});
  }

  /** The document another instance (or an earlier run) published. */
  private async loadShared(): Promise<{ publishedAt: number } | undefined> {
    if (!this.db) return undefined;
    const { rows } = await this.db.query<{ text: string; etag: string; published_at: string }>(`SELECT text, etag, published_at FROM published_config WHERE id = 1`);
    const row = rows[0];
    if (!row) return undefined;
    if (row.etag !== this.current.etag) {
      const result = validateConfig(row.text);
      if (result.ok) this.set(publish(row.text, result));
    }
    return { publishedAt: Number(row.published_at) };
  }

  private set(next: PublishedConfig): void {
    if (next.etag === this.current.etag) return;
    this.current = next;
    for (const listener of this.listeners) listener(next);
  }

  private async reload(): Promise<void> {
    if (!existsSync(this.path)) return;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return; // mid-rename; the next watch event reads it
    }
    if (!text.trim()) return; // truncated for a rewrite; the write's own event follows
    const result = await this.replace(text);
    if (!result.ok) console.warn(`[demo] ${this.path} rejected, keeping version ${this.current.version}:\n  ${result.errors.join('\n  ')}`);
  }

  // Watch the folder, not the file: editors save by rename, and the file may not exist yet.
  private watch(): void {
    const dir = dirname(this.path);
    if (!existsSync(dir)) return;
    const name = basename(this.path);
    this.watcher = watch(dir, (_event, filename) => {
      if (filename && filename.toString() !== name) return;
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.reload(), 100);
    });
    this.watcher.on('error', () => {});
  }
}

function publish(text: string, valid: { version: string; config: MicrosegConfig; signed: boolean }): PublishedConfig {
  const digest = createHash('sha256').update(text).digest('base64url');
  return { text, version: valid.version, config: valid.config, signed: valid.signed, etag: `"${digest.slice(0, 32)}"` };
}

/** RFC 9110: If-None-Match compares weakly and may list several tags, or `*`. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
