// A thin database seam: PGlite (embedded PostgreSQL) by default, a real PostgreSQL through `pg`
// when a connection string is given. Every statement in the demo is plain PostgreSQL that runs
// unchanged on both.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Db {
  readonly kind: 'pglite' | 'postgres';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  close(): Promise<void>;
}

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
  return {
    kind: 'pglite',
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await pg.query<T>(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async close() {
      await pg.close();
      if (onDisk) rmSync(`${dataDir}.lock`, { force: true });
    },
  };
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
  return {
    kind: 'postgres',
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await pool.query(sql, params);
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
    },
    close: () => pool.end(),
  };
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
