// The published configuration: one JSON file, served with a strong ETag and pushed to open
// pages whenever it changes (file edit, or an authenticated POST).
import { createHash } from 'node:crypto';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { validateConfig } from './validate-config';

export interface PublishedConfig {
  text: string;
  etag: string;
  version: string;
}

// Served until the demo's config file exists.
export const PLACEHOLDER_CONFIG = { schema: 1, version: 'demo-0', segments: [{ id: 'everyone', fallback: true }] };

export class ConfigStore {
  private current: PublishedConfig;
  private readonly listeners = new Set<(config: PublishedConfig) => void>();
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;

  private constructor(private readonly path: string, initial: PublishedConfig) {
    this.current = initial;
  }

  static async open(path: string): Promise<ConfigStore> {
    const store = new ConfigStore(path, publish(JSON.stringify(PLACEHOLDER_CONFIG, null, 2), 'demo-0'));
    await store.reload();
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
    this.set(publish(text, result.version));
    return { ok: true, config: this.current };
  }

  close(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.listeners.clear();
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

function publish(text: string, version: string): PublishedConfig {
  const digest = createHash('sha256').update(text).digest('base64url');
  return { text, version, etag: `"${digest.slice(0, 32)}"` };
}

/** RFC 9110: If-None-Match compares weakly and may list several tags, or `*`. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
