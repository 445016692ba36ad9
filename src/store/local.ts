// localStorage under one prefix: small synchronous records (visitor id, profile, journals).
// Every access is guarded: storage can be disabled, full, or throw on access.
import { plainJson } from '../shared/util';

const PREFIX = 'microseg:';

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function readLocal<T>(key: string): T | undefined {
  try {
    const text = storage()?.getItem(PREFIX + key);
    return text == null ? undefined : (JSON.parse(text) as T);
  } catch {
    return undefined;
  }
}

export function writeLocal(key: string, value: unknown): boolean {
  try {
    storage()?.setItem(PREFIX + key, plainJson(value));
    return true;
  } catch {
    return false;
  }
}

export function removeLocal(key: string): void {
  try {
    storage()?.removeItem(PREFIX + key);
  } catch {
    /* nothing to remove */
  }
}

/** Our keys, without the prefix. */
export function localKeys(): string[] {
  const s = storage();
  const keys: string[] = [];
  try {
    if (s) for (let i = 0; i < s.length; i++) {
      const key = s.key(i);
      if (key?.startsWith(PREFIX)) keys.push(key.slice(PREFIX.length));
    }
  } catch {
    /* storage gone */
  }
  return keys;
}

export function clearLocal(): void {
  for (const key of localKeys()) removeLocal(key);
}
