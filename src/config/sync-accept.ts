// The accept rule: a document is parsed, its signature verified, its place in the order of
// publications checked before anything costly, then validated (unless this device checked this
// very text under these rules) and put in force whole, or not at all.
import { RULES_VERSION, SCHEMA_VERSION, newerSchemaMessage, type MicrosegConfig } from './types';
import type { Validate } from './validator';
import { isEnvelope } from './envelope';
import type { Verify } from './parts';
import { writeStored } from './sync-store';
import { toJson } from '../shared/util';
import type { ConfigErrorCode } from '../shared/errors';
import type { Accept, ConfigSource, ConfigSyncError, ConfigSyncOptions, Fail, StoredConfig, SyncState } from './sync-types';

/** A document's place in the order of publications; one without a whole `issued` comes before all that have one. */
export function issuedOf(doc: unknown): number {
  const issued = (doc as { issued?: unknown } | null)?.issued;
  return typeof issued === 'number' && Number.isSafeInteger(issued) && issued >= 0 ? issued : -1;
}

/** Sources whose older documents are worth an error: what the site publishes or puts in the page. */
const TELLS_OLDER: ConfigSource[] = ['network', 'sse', 'inline'];

/** The config inside a document (JSON text, value or envelope), or the error that refuses it. */
async function unwrap(input: unknown, from: string, opts: ConfigSyncOptions, loadVerifier: () => Promise<Verify>): Promise<{ doc: unknown } | Omit<ConfigSyncError, 'source'>> {
  let doc = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch {
      return { code: 'config-not-json', message: `${from}: not valid JSON (truncated?)` };
    }
  }
  if (isEnvelope(doc)) {
    let payload = doc.payload;
    if (opts.publicKey) {
      let verify: Verify;
      try {
        verify = await loadVerifier();
      } catch (err) {
        return { code: 'config-validator-unavailable', message: `${from}: the signature check could not be loaded (${(err as Error)?.message})` };
      }
      try {
        payload = await verify(doc, opts.publicKey);
      } catch (err) {
        return { code: (err as { code?: ConfigErrorCode }).code ?? 'config-signature-invalid', message: `${from}: ${(err as Error).message}` };
      }
    }
    try {
      doc = JSON.parse(payload as string);
    } catch {
      return { code: 'config-not-json', message: `${from}: the signed payload is not valid JSON` };
    }
  } else if (opts.publicKey) {
    return { code: 'config-unsigned', message: `${from}: it is not signed, and a publicKey is set` };
  }
  const schema = (doc as { schema?: unknown } | null)?.schema;
  if (typeof schema === 'number' && schema > SCHEMA_VERSION) {
    return { code: 'config-schema-newer', message: `${from}: ${newerSchemaMessage(schema)}`, path: 'schema' };
  }
  return { doc };
}

/** The loaders of the validator and the signature check (the script-tag build swaps them for its own files, in sync.ts). */
export interface CheckLoaders {
  validator: () => Promise<Validate>;
  verifier: () => Promise<Verify>;
}

export function createAccept(opts: ConfigSyncOptions, state: SyncState, fail: Fail, load: CheckLoaders): Accept {
  const key = opts.storageKey ?? 'config';
  const keep = (record: StoredConfig) => writeStored(opts.storage, key, (state.stored = record));

  async function validate(doc: unknown, from: string, source: ConfigSource): Promise<ReturnType<Validate> | false> {
    try {
      return (await load.validator())(doc);
    } catch (err) {
      return fail({ code: 'config-validator-unavailable', message: `${from}: the validator could not be loaded (${(err as Error)?.message})`, source });
    }
  }

  /**
   * Stores the last good copy. Only documents not older than the one in force get here; a tab that
   * stored an older copy than another tab's learns of the newer one from that tab, and the next page
   * from the network.
   */
  function remember(text: string, source: ConfigSource, etag: string | null | undefined): void {
    const { stored } = state;
    if (source === 'cache' && stored && stored.checked !== RULES_VERSION) {
      keep({ ...stored, checked: RULES_VERSION }); // validated now: the next page can skip it
    }
    if (source !== 'network' && source !== 'sse') return;
    // A pushed copy has no ETag of its own; the same text pushed again keeps the one we have.
    if (source === 'network') state.etag = etag || undefined;
    else if (stored?.text !== text) state.etag = undefined;
    if (opts.storage && (stored?.text !== text || stored.etag !== state.etag)) {
      keep({ url: opts.configUrl, etag: state.etag, text, checked: RULES_VERSION });
    }
  }

  return async function accept(input, source, meta) {
    const from = `config from ${source} rejected`;
    const text = typeof input === 'string' ? input : toJson(input);
    if (source === 'tab' && text === state.currentText) return true; // the one in force, passed on again
    const opened = await unwrap(input, from, opts, load.verifier);
    if (!('doc' in opened)) return fail({ ...opened, source });
    const { doc } = opened;
    // Order before anything costly: a validly signed older document is still older.
    const issued = issuedOf(doc);
    const { current } = state;
    if (current && issued < issuedOf(current)) {
      // Another tab was behind: nothing to tell. A lagging edge answering the same again: told once.
      if (!TELLS_OLDER.includes(source) || text === state.olderText) return false;
      state.olderText = text;
      return fail({ code: 'config-older', message: `${from}: it is older (issued ${issued < 0 ? 'missing' : issued}) than the config in force (issued ${issuedOf(current)})`, path: 'issued', source });
    }
    // The very document this device already checked under these rules (from the cache, pushed again, or inline).
    const checked = meta?.checked || (state.stored?.checked === RULES_VERSION && state.stored.text === text);
    const result = checked ? { ok: true as const, config: doc as MicrosegConfig } : await validate(doc, from, source);
    if (!result) return false;
    if (!result.ok) {
      const [first] = result.errors;
      const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
      return fail({ code: 'config-invalid', message: `${from}: ${first!.path || 'config'}: ${first!.message}${more}`, path: first!.path, errors: result.errors, source });
    }
    if (state.stopped) return false;
    // Validation took time: a newer document may have come in meanwhile.
    if (state.current && issued < issuedOf(state.current)) return false;
    remember(text, source, meta?.etag);
    if (result.config.version !== state.current?.version || issued !== issuedOf(state.current)) {
      state.current = result.config;
      state.currentText = text;
      try {
        opts.onConfig?.(state.current, { source, text });
      } catch {
        // the host's handler
      }
    }
    return true;
  };
}
