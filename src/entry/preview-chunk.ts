// dist/microseg.preview.js: the overlay for the script-tag build, loaded by preview-script.ts.
import { chunk } from '../preview/chunk';

window.__microsegPreview = chunk;
