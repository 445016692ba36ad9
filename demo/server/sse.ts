// Server-Sent Events plumbing: keyed fan-out, and streams that end when the server closes.
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';

const KEEPALIVE_MS = 25_000;

/** Listeners by key (a visitor id); `notify(key)` reaches every open page of that visitor. */
export class Hub<T> {
  private readonly listeners = new Map<string, Set<(message: T) => void>>();

  subscribe(key: string, listener: (message: T) => void): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size) this.listeners.delete(key);
    };
  }

  notify(key: string, message: T): void {
    for (const listener of this.listeners.get(key) ?? []) listener(message);
  }
}

/** Open streams, so that closing the server ends them instead of waiting forever. */
export class StreamRegistry {
  private readonly open = new Set<() => void>();

  /**
   * Runs an SSE response: `setup` subscribes and returns its cleanup; the stream stays open
   * until the client leaves or the server closes.
   */
  stream(c: Context, setup: (stream: SSEStreamingApi) => (() => void) | Promise<() => void>): Response {
    return streamSSE(c, async (stream) => {
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      this.open.add(end);
      stream.onAbort(end);
      const cleanup = await setup(stream);
      const keepalive = setInterval(() => void stream.write(': keepalive\n\n').catch(end), KEEPALIVE_MS);
      await ended;
      clearInterval(keepalive);
      cleanup();
      this.open.delete(end);
    });
  }

  closeAll(): void {
    for (const end of this.open) end();
    this.open.clear();
  }
}
