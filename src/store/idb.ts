// The little of IndexedDB the store needs, as promises: a request, a transaction's end, opening
// with the upgrade/blocked/versionchange events, deleting. Replaces the `idb` package: native
// objects, no proxies on the start path.

/** The IndexedDB factory, or null where it is missing or merely touching it throws (sandboxes, policies). */
export function idbFactory(): IDBFactory | null {
  try {
    return typeof indexedDB === 'undefined' ? null : indexedDB || null;
  } catch {
    return null;
  }
}

/** A request's result. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Resolves when the transaction commits, rejects when it fails or aborts. */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
}

/** Walks a cursor to its end, or until `step` returns false. */
export function walk<C extends IDBCursor>(req: IDBRequest<C | null>, step: (cursor: C) => boolean | void): Promise<void> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor || step(cursor) === false) resolve();
      else cursor.continue();
    };
    req.onerror = () => reject(req.error);
  });
}

export interface OpenHandlers {
  upgrade: (db: IDBDatabase, oldVersion: number, tx: IDBTransaction) => void;
  /** An older connection (another tab) keeps the upgrade waiting. */
  blocked: () => void;
  /** A newer version wants this database, or (`deleting`) another tab deletes it: close it. */
  blocking: (db: IDBDatabase, deleting: boolean) => void;
  /** The browser closed the connection. */
  terminated: (db: IDBDatabase) => void;
}

export function openDatabase(factory: IDBFactory, name: string, version: number, on: OpenHandlers): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name, version);
    req.onupgradeneeded = (e) => on.upgrade(req.result, e.oldVersion, req.transaction!);
    req.onblocked = () => on.blocked();
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = (e) => on.blocking(db, e.newVersion === null);
      db.onclose = () => on.terminated(db);
      resolve(db);
    };
  });
}

/** The database if it exists (never creating one), or null; also null while another tab blocks it. */
export function openExisting(factory: IDBFactory, name: string): Promise<IDBDatabase | null> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name);
    req.onupgradeneeded = () => req.transaction?.abort(); // no database: nothing there
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => (req.error?.name === 'AbortError' ? resolve(null) : reject(req.error));
    req.onblocked = () => resolve(null);
  });
}

export function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = factory.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
  });
}

/**
 * Runs `body` in one transaction and resolves with its result once the transaction commits. The
 * commit is watched from the start (a transaction with nothing left to do commits at once).
 */
export async function transact<R>(
  db: IDBDatabase,
  stores: string | string[],
  mode: IDBTransactionMode,
  body: (tx: IDBTransaction) => R | Promise<R>,
  options?: IDBTransactionOptions,
): Promise<R> {
  const tx = db.transaction(stores, mode, options);
  const committed = done(tx);
  try {
    const result = await body(tx);
    await committed;
    return result;
  } catch (cause) {
    committed.catch(() => {}); // the first failure is the one worth reporting
    try {
      tx.abort();
    } catch {
      /* already finished */
    }
    throw cause;
  }
}
