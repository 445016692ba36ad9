// Server-Sent Events plumbing: fan-out across instances through the database's LISTEN/NOTIFY,
// and streams that are capped and end when the server closes.
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { Db } from './db';

const KEEPALIVE_MS = 25_000;
const RETRY_AFTER_S = 30;

/**
 * Listeners by key (a visitor id). `notify(key)` goes through PostgreSQL NOTIFY, so it reaches
 * every open page of that visitor on every instance that shares the database, this one included.
 */
export class Fanout {
  private readonly listeners = new Map<string, Set<() => void>>();
  private stop?: () => Promise<void>;

  private constructor(private readonly db: Db, private readonly channel: string) {}

  static async open(db: Db, channel: string): Promise<Fanout> {
    const fanout = new Fanout(db, channel);
    fanout.stop = await db.listen(channel, (key) => fanout.deliver(key));
    return fanout;
  }

  subscribe(key: string, listener: () => void): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size) this.listeners.delete(key);
    };
  }

  notify(key: string): Promise<void> {
    return this.db.notify(this.channel, key);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.stop?.();
  }

  private deliver(key: string): void {
    for (const listener of this.listeners.get(key) ?? []) listener();
  }
}

export interface StreamLimits {
  /** Open streams per client address (a browser with many tabs, or a script). Default 16. */
  perClient?: number;
  /** Open streams on this instance. Default 5000. */
  total?: number;
}

/** Open streams, capped, so that closing the server ends them instead of waiting forever. */
export class StreamRegistry {
  private readonly open = new Set<() => void>();
  private readonly byClient = new Map<string, number>();
  private readonly perClient: number;
  private readonly total: number;

  constructor(limits: StreamLimits = {}) {
    this.perClient = limits.perClient ?? 16;
    this.total = limits.total ?? 5000;
  }

  get size(): number {
    return this.open.size;
  }

  /**
   * Runs an SSE response: `setup` subscribes and returns its cleanup; the stream stays open
   * until the client leaves or the server closes. When full: 429 (this client) or 503 (this
   * instance), with Retry-After, which EventSource's reconnection and a load balancer understand.
   */
  stream(c: Context, setup: (stream: SSEStreamingApi) => (() => void) | Promise<() => void>): Response {
    const client = clientAddress(c);
    if (this.open.size >= this.total) return full(c, 503, 'too many open streams on this server');
    if ((this.byClient.get(client) ?? 0) >= this.perClient) return full(c, 429, 'too many open streams from this client');
    this.byClient.set(client, (this.byClient.get(client) ?? 0) + 1);
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    this.open.add(end);
    const release = () => {
      if (!this.open.delete(end)) return;
      const left = (this.byClient.get(client) ?? 1) - 1;
      if (left > 0) this.byClient.set(client, left);
      else this.byClient.delete(client);
    };
    return streamSSE(c, async (stream) => {
      stream.onAbort(end);
      let cleanup: (() => void) | undefined;
      try {
        cleanup = await setup(stream);
        const keepalive = setInterval(() => void stream.write(': keepalive\n\n').catch(end), KEEPALIVE_MS);
        await ended;
        clearInterval(keepalive);
      } finally {
        cleanup?.();
        release();
      }
    });
  }

  closeAll(): void {
    for (const end of this.open) end();
  }
}

function full(c: Context, status: 429 | 503, error: string): Response {
  c.header('Retry-After', String(RETRY_AFTER_S));
  return c.json({ error }, status);
}

function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
