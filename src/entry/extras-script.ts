// The script-tag build's optional parts: a file each beside the SDK (dist/microseg.<part>.js), loaded
// only when the site configured the part (see src/sdk/extras.ts), and handed the core's kit (./kit.ts)
// so that it needs no copy of the modules the core has.
import type { PartName, Parts } from '../sdk/extras';
import { chunkLoader, hasFunctions } from './chunk';
import * as kit from './kit';
import type { Kit } from './kit-install';
import { partGlobal } from './part-define';

/** What a part's file defines: the part, which works once it has the core's kit. */
export type PartFile<K extends PartName> = Parts[K] & {
  /** Throws when the file already runs with another kit. */
  install(kit: Kit): void;
};

/** The function each part's file must hand over, beside `install`. */
const MADE_BY: { [K in PartName]: keyof Parts[K] & string } = { extras: 'createMeasurement', collect: 'createOutbox', labels: 'createRemoteLabels' };

const loaders = new Map<PartName, () => Promise<unknown>>();

export function loadPart<K extends PartName>(name: K): Promise<Parts[K]> {
  let load = loaders.get(name) as (() => Promise<PartFile<K>>) | undefined;
  // One policy for every part's file: it admits only files beside the SDK.
  if (!load) loaders.set(name, (load = chunkLoader(`microseg.${name}.js`, partGlobal(name), 'microseg#extras', hasFunctions<PartFile<K>>(MADE_BY[name] as never, 'install'))));
  return load().then((part) => {
    part.install(kit);
    return part;
  });
}
