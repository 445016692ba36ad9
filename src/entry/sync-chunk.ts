// dist/microseg.sync.js: the signature check, the config stream and the lease as their own file, loaded
// by the script-tag build on demand (src/entry/sync-script.ts).
import { verifyEnvelope } from '../config/signature';
import { openStream } from '../config/sync-stream';
import { acquireLease } from '../config/lease';

window.__microsegSync = { verifyEnvelope, openStream, acquireLease };
