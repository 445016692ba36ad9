// dist/microseg.extras.js: the optional parts for the script-tag build, loaded by extras-script.ts.
import { extras } from '../sdk/extras-parts';

window.__microsegExtras = extras;
