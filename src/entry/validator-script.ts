// The script-tag build's validator: dist/microseg.schema.js, loaded from beside the SDK only when a
// config this device has not checked before arrives (see src/config/validator.ts).
import type { Validate } from '../config/validator';
import { chunkLoader } from './chunk';

declare global {
  interface Window {
    __microsegValidate?: Validate;
  }
}

export const loadValidator = chunkLoader<Validate>('microseg.schema.js', '__microsegValidate', 'microseg#schema', (v): v is Validate => typeof v === 'function');
