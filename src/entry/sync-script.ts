// The script-tag build's signature check, config stream and lease: dist/microseg.sync.js, loaded from
// beside the SDK only where the site configured a publicKey, sse or refresh (see src/config/parts.ts).
import type { AcquireLease, OpenStream, Verify } from '../config/parts';
import { chunkLoader, hasFunctions } from './chunk';

/** What the file hands over. */
export interface SyncParts {
  verifyEnvelope: Verify;
  openStream: OpenStream;
  acquireLease: AcquireLease;
}

declare global {
  interface Window {
    __microsegSync?: SyncParts;
  }
}

const isParts = hasFunctions<SyncParts>('verifyEnvelope', 'openStream', 'acquireLease');
const loadFile = chunkLoader<SyncParts>('microseg.sync.js', '__microsegSync', 'microseg#sync', isParts);

export const loadVerifier = (): Promise<Verify> => loadFile().then((x) => x.verifyEnvelope);
export const loadStream = (): Promise<OpenStream> => loadFile().then((x) => x.openStream);
export const loadLease = (): Promise<AcquireLease> => loadFile().then((x) => x.acquireLease);
