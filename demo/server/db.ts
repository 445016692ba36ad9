// A thin database seam: PGlite (embedded PostgreSQL) by default, a real PostgreSQL through `pg`
// when a connection string is given. Every statement in the demo is plain PostgreSQL that runs
// unchanged on both.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Db {
  readonly kind: 'pglite' | 'postgres';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** LISTEN: `onMessage` gets every NOTIFY payload on `channel`, from this process or any other. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /** NOTIFY through the database, so every instance on it hears (itself included). */
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

const notifyVia = (db: Pick<Db, 'query'>) => async (channel: string, payload: string) => {
  await db.query('SELECT pg_notify($1, $2)', [channel, payload]);
};

export async function openDb(opts: { dataDir?: string; databaseUrl?: string }): Promise<Db> {
  const db = opts.databaseUrl ? await openPostgres(opts.databaseUrl) : await openPglite(opts.dataDir ?? 'memory://');
  await migrate(db);
  return db;
}

async function openPglite(dataDir: string): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  const onDisk = !dataDir.includes('://');
  if (onDisk) {
    mkdirSync(dataDir, { recursive: true });
    lockDataDir(dataDir);
  }
  const pg = await PGlite.create(dataDir);
  const db: Db = {
    kind: 'pglite',
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await pg.query<T>(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async listen(channel, onMessage) {
      const stop = await pg.listen(channel, onMessage);
      return async () => {
        if (!pg.closed) await stop();
      };
    },
    notify: (channel, payload) => notifyVia(db)(channel, payload),
    async close() {
      await pg.close();
      if (onDisk) rmSync(`${dataDir}.lock`, { force: true });
    },
  };
  return db;
}

// PGlite is single-process: a second server on the same directory would corrupt it.
function lockDataDir(dataDir: string): void {
  const lock = `${dataDir}.lock`;
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return;
  } catch {
    const holder = Number(readFileSync(lock, 'utf8'));
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new Error(`${dataDir} is in use by process ${holder} (another demo server?). Stop it, or set MICROSEG_DATA_DIR.`);
    }
    writeFileSync(lock, String(process.pid)); // a stale lock from a crashed run
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPostgres(connectionString: string): Promise<Db> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString, max: 5 });
  await pool.query('SELECT 1'); // fail at start, not on the first visitor
  const listener = new PgListener(() => new pg.Client({ connectionString }));
  const db: Db = {
    kind: 'postgres',
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await pool.query(sql, params);
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
    },
    listen: (channel, onMessage) => listener.listen(channel, onMessage),
    notify: (channel, payload) => notifyVia(db)(channel, payload),
    async close() {
      await listener.close();
      await pool.end();
    },
  };
  return db;
}

type PgClient = import('pg').Client;

/** One dedicated connection holds every LISTEN of this process (a pooled one would lose them). */
class PgListener {
  private client?: Promise<PgClient>;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();

  constructor(private readonly connect: () => PgClient) {}

  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const client = await this.open();
    let set = this.handlers.get(channel);
    if (!set) {
      this.handlers.set(channel, (set = new Set()));
      await client.query(`LISTEN ${quoteIdent(channel)}`);
    }
    set.add(onMessage);
    return async () => {
      set.delete(onMessage);
    };
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await (await client).end().catch(() => {});
  }

  private open(): Promise<PgClient> {
    this.client ??= (async () => {
      const client = this.connect();
      client.on('notification', (m) => {
        for (const handler of this.handlers.get(m.channel) ?? []) handler(m.payload ?? '');
      });
      client.on('error', (err) => console.error('[demo] the LISTEN connection failed:', err.message));
      await client.connect();
      return client;
    })();
    return this.client;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

// Append-only: a released step is never edited, a change is a new step.
const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE IF NOT EXISTS settings (key text PRIMARY KEY, value text NOT NULL)`,
    // Times are milliseconds since the epoch, as the SDK sends them.
    `CREATE TABLE IF NOT EXISTS events (
       id text PRIMARY KEY,
       aid text NOT NULL,
       uid text,
       type text NOT NULL,
       ts bigint NOT NULL,
       visit integer,
       page jsonb,
       props jsonb NOT NULL,
       received_at bigint NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS events_aid_ts ON events (aid, ts)`,
    `CREATE INDEX IF NOT EXISTS events_type_ts ON events (type, ts)`,
    `CREATE TABLE IF NOT EXISTS labels (
       uid text NOT NULL,
       name text NOT NULL,
       channel text NOT NULL,
       value jsonb,
       at bigint NOT NULL,
       expires bigint,
       deleted boolean NOT NULL DEFAULT false,
       PRIMARY KEY (uid, name, channel)
     )`,
    // Which visitor ids a browser has claimed (see README: the visitor cookie).
    `CREATE TABLE IF NOT EXISTS visitors (uid text PRIMARY KEY, bound_at bigint NOT NULL)`,
  ],
  [
    // A journey step settles once per visitor and window, whatever id a sender gave it.
    `CREATE UNIQUE INDEX IF NOT EXISTS events_journey_once ON events (aid, type, (props->>'journey'), (props->>'at'))
       WHERE type IN ('$journey.exposure', '$journey.outcome')`,
    // The config every instance serves: the newest published document.
    `CREATE TABLE IF NOT EXISTS published_config (id integer PRIMARY KEY, text text NOT NULL, etag text NOT NULL, published_at bigint NOT NULL)`,
  ],
];

async function migrate(db: Db): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)`);
  const done = await db.query<{ version: number }>(`SELECT version FROM schema_migrations`);
  const applied = new Set(done.rows.map((r) => Number(r.version)));
  for (let i = 0; i < MIGRATIONS.length; i++) {
    const version = i + 1;
    if (applied.has(version)) continue;
    for (const statement of MIGRATIONS[i]) await db.query(statement);
    await db.query(`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [version, Date.now()]);
  }
}

/** A secret kept in the database, so every instance and every restart shares it. */
export async function storedSecret(db: Db, key: string): Promise<string> {
  await db.query(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [key, randomBytes(32).toString('hex')]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [key]);
  return rows[0].value;
}
