// What a test reads of the stored event batches: a spy on the two requests that fetch chunk values.
import { vi } from 'vitest';

/** Stored event batches (chunks) whose values are read while `during` runs (their names are not counted). */
export async function chunksRead(during: () => Promise<void>): Promise<number> {
  let read = 0;
  const count = (req: IDBRequest) => req.addEventListener('success', () => (read += Array.isArray(req.result) ? req.result.length : req.result ? 1 : 0));
  const { get } = IDBObjectStore.prototype;
  const { getAll } = IDBIndex.prototype;
  vi.spyOn(IDBObjectStore.prototype, 'get').mockImplementation(function (this: IDBObjectStore, key) {
    const req = get.call(this, key);
    if (this.name === 'chunks') count(req);
    return req;
  });
  vi.spyOn(IDBIndex.prototype, 'getAll').mockImplementation(function (this: IDBIndex, query, n) {
    const req = getAll.call(this, query, n);
    if (this.objectStore.name === 'chunks') count(req);
    return req;
  });
  try {
    await during();
  } finally {
    vi.restoreAllMocks();
  }
  return read;
}
