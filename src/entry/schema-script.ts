// dist/microseg.schema.js: the config validator as its own file, loaded by the script-tag build on demand.
import { parseConfig } from '../config/schema';

window.__microsegValidate = parseConfig;
