// The script-tag build's optional parts: dist/microseg.extras.js, loaded from beside the SDK only when
// the site configured measurement or a labels backend (see src/sdk/extras.ts).
import type { Extras } from '../sdk/extras';
import { chunkLoader } from './chunk';

declare global {
  interface Window {
    __microsegExtras?: Extras;
  }
}

const isExtras = (v: unknown): v is Extras =>
  typeof v === 'object' && v !== null && typeof (v as Extras).createMeasurement === 'function' && typeof (v as Extras).createRemoteLabels === 'function';

export const loadExtras = chunkLoader<Extras>('microseg.extras.js', '__microsegExtras', 'microseg#extras', isExtras);
