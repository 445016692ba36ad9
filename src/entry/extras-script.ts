// The script-tag build's optional parts: dist/microseg.extras.js, loaded from beside the SDK only when
// the site configured measurement or a labels backend (see src/sdk/extras.ts), and handed the core's
// kit (./kit.ts) so that it needs no copy of the modules the core has.
import type { Extras } from '../sdk/extras';
import { chunkLoader, hasFunctions } from './chunk';
import * as kit from './kit';
import type { Kit } from './kit-install';

/** What the file defines: the parts, which work once they have the core's kit. */
export interface ExtrasFile extends Extras {
  /** Throws when the file already runs with another kit. */
  install(kit: Kit): void;
}

declare global {
  interface Window {
    __microsegExtras?: ExtrasFile;
  }
}

const isFile = hasFunctions<ExtrasFile>('createMeasurement', 'createRemoteLabels', 'install');
const loadFile = chunkLoader<ExtrasFile>('microseg.extras.js', '__microsegExtras', 'microseg#extras', isFile);

export const loadExtras = (): Promise<Extras> =>
  loadFile().then((file) => {
    file.install(kit);
    return file;
  });
