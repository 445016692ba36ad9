// The script-tag build's preview loader: dist/microseg.preview.js, loaded from beside the SDK only
// when a preview starts.
import type { PreviewChunk } from '../preview/types';
import { chunkLoader } from './chunk';

declare global {
  interface Window {
    __microsegPreview?: PreviewChunk;
  }
}

const isChunk = (v: unknown): v is PreviewChunk =>
  typeof v === 'object' && v !== null && typeof (v as PreviewChunk).mount === 'function' && typeof (v as PreviewChunk).verify === 'function';

export const loadOverlay = chunkLoader<PreviewChunk>('microseg.preview.js', '__microsegPreview', 'microseg#preview', isChunk);
