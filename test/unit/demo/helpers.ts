// Shared by the demo backend tests: a server on a random port with an in-memory database,
// a tiny cookie jar, and an SSE reader.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoServer, type DemoServer, type DemoServerOptions } from '../../../demo/server/app';

export const ADMIN_TOKEN = 'test-admin-token';

/** An anonymous id as the SDK makes them (a UUID v4), the same for the same name. */
export function anonymousId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function config(version: string): Record<string, unknown> {
  return { schema: 1, version, segments: [{ id: 'everyone', fallback: true }] };
}

/**
 * A server whose config lives in a fresh temp file, on in-memory PGlite — or, with
 * MICROSEG_TEST_DATABASE_URL set, on a fresh database of that PostgreSQL server.
 */
export async function startTestServer(extra: Partial<DemoServerOptions> = {}): Promise<DemoServer & { configPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'microseg-demo-'));
  const configPath = join(dir, 'shop.config.json');
  writeFileSync(configPath, JSON.stringify(config('v1')));
  const postgres = process.env.MICROSEG_TEST_DATABASE_URL ? await freshPostgresDatabase(process.env.MICROSEG_TEST_DATABASE_URL) : undefined;
  const server = await startDemoServer({
    port: 0,
    dataDir: 'memory://',
    databaseUrl: postgres?.url,
    configPath,
    adminToken: ADMIN_TOKEN,
    ...extra,
  });
  return {
    ...server,
    configPath,
    async close() {
      await server.close();
      await postgres?.drop();
    },
  };
}

export async function freshPostgresDatabase(serverUrl: string) {
  const { default: pg } = await import('pg');
  const name = `microseg_demo_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name}`) };
}

export const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** One browser: keeps the cookies the server sets and sends them back. */
export class Browser {
  private cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(this.base + path, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Reads a text/event-stream response; `next` waits for the next event that matches. */
export function readSse(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  let waiter: (() => void) | undefined;
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: 'message', data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            else if (line.startsWith('event:')) event.event = line.slice(6).trim();
            else if (line.startsWith('id:')) event.id = line.slice(3).trim();
          }
          if (!data.length) continue; // a keep-alive comment
          event.data = data.join('\n');
          events.push(event);
          waiter?.();
        }
      }
    } catch {
      /* cancelled */
    }
  })();

  return {
    events,
    async next(match: (e: SseEvent) => boolean = () => true, timeoutMs = 3000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = events.findIndex(match);
        if (i >= 0) return events.splice(i, 1)[0];
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching SSE event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    close: () => reader.cancel().catch(() => {}),
  };
}
