// What a device keeps of its configs between pages: the last good copy, and the digest of the
// inline text it last checked (so the next page with the same text needs no validator).
import { RULES_VERSION } from './types';
import { own, type Dict } from '../shared/dict';
import type { ConfigStorage } from './sync-types';

const STORAGE_TIMEOUT = 1000;

/** A stored record, or undefined when there is none, the read fails, or a blocked IndexedDB holds it past STORAGE_TIMEOUT. */
export async function readStored(storage: ConfigStorage, key: string): Promise<unknown> {
  let wait: ReturnType<typeof setTimeout> | undefined;
  const record = await Promise.race([storage.get(key).catch(() => undefined), new Promise((r) => (wait = setTimeout(r, STORAGE_TIMEOUT)))]);
  clearTimeout(wait);
  return record;
}

/** Writes at once (a page may close right after); the store reports its own failures. */
export function writeStored(storage: ConfigStorage | undefined, key: string, record: unknown): void {
  storage?.set(key, record).catch(() => undefined);
}

/** Where the inline text's check is remembered, beside the last good copy. */
export const inlineKey = (key: string): string => `${key}:inline`;

/** SHA-256 of the text, hex; undefined where WebCrypto is missing (an insecure page) or fails. */
export async function digestOf(text: string): Promise<string | undefined> {
  try {
    const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
    let hex = '';
    for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
    return hex;
  } catch {
    return undefined;
  }
}

/** The record that says a text with this digest passed the check under these rules. */
export const inlineRecord = (digest: string) => ({ digest, checked: RULES_VERSION });

/** Whether a stored record (anything, from storage) says the text of `digest` passed the check under these rules. */
export function checkedBefore(record: unknown, digest: string | undefined): boolean {
  if (!digest || typeof record !== 'object' || record === null) return false;
  const fields = record as Dict<unknown>;
  return own(fields, 'digest') === digest && own(fields, 'checked') === RULES_VERSION;
}
