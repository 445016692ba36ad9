// The signature check, the config stream and the lease one tab holds for polling and the stream are
// work only a site that configured them asks for (a publicKey, sse, refresh), so they load on demand:
// the ES module build splits them into chunks; the script-tag build swaps this module for
// src/entry/sync-script.ts, which loads them as dist/microseg.sync.js (rollup.config.mjs names this file).
import type { verifyEnvelope } from './signature';
import type { openStream } from './sync-stream';
import type { acquireLease } from './lease';

export type Verify = typeof verifyEnvelope;
export type OpenStream = typeof openStream;
export type AcquireLease = typeof acquireLease;

export const loadVerifier = (): Promise<Verify> => import('./signature').then((m) => m.verifyEnvelope);
export const loadStream = (): Promise<OpenStream> => import('./sync-stream').then((m) => m.openStream);
export const loadLease = (): Promise<AcquireLease> => import('./lease').then((m) => m.acquireLease);
