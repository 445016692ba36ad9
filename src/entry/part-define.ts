// An optional part's file (dist/microseg.extras.js, .collect.js, .labels.js): it holds only the part's
// own code; what it shares with the core comes in the core's kit, never from a global. The global is
// the page's to call too: the first kit installed wins, and another one throws, so a page that
// installs its own first gets no function of its into the SDK's part (the SDK then reports an error
// and goes without it).
import type { PartName, Parts } from '../sdk/extras';
import { installKit, type Kit } from './kit-install';

/** The global a part's file hands itself over in (only the SDK's own script element for it may set it). */
export const partGlobal = (name: PartName) => `__microseg_${name}`;

export function definePart<K extends PartName>(name: K, part: Parts[K]): void {
  let installed: Kit | undefined;
  (window as unknown as Record<string, unknown>)[partGlobal(name)] = {
    ...part,
    install(kit: Kit) {
      if (installed === undefined) {
        installed = kit;
        installKit(kit);
      } else if (kit !== installed) throw new Error(`microseg.${name}.js already runs with another kit`);
    },
  };
}
