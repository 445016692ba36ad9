// The optional-parts file's side of the kit (./kit.ts). Built as its own file, this module is
// replaced by one whose bindings stand for the kit's functions and which installs them from the
// core's kit (rollup.config.mjs); anywhere else the parts import those modules themselves, and
// there is nothing to install.
import type * as kit from './kit';

export type Kit = typeof kit;

export function installKit(_kit: Kit): void {}
