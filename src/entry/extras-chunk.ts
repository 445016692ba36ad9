// dist/microseg.extras.js: the optional parts for the script-tag build, loaded by extras-script.ts.
// The file holds only the parts' own code; what it shares with the core comes in the core's kit,
// never from a global. The global is the page's to call too: the first kit installed wins, and
// another one throws, so a page that installs its own first gets no function of its into the SDK's
// parts (the SDK then reports an error and goes without them).
import { extras } from '../sdk/extras-parts';
import { installKit, type Kit } from './kit-install';

let installed: Kit | undefined;

window.__microsegExtras = {
  ...extras,
  install(kit) {
    if (installed === undefined) {
      installed = kit;
      installKit(kit);
    } else if (kit !== installed) throw new Error('microseg.extras.js already runs with another kit');
  },
};
