// The script-tag build's preview loader: dist/microseg.preview.js, loaded from beside the SDK only
// when a preview starts.
import type { PreviewChunk } from '../preview/types';
import { chunkLoader, hasFunctions } from './chunk';

declare global {
  interface Window {
    __microsegPreview?: PreviewChunk;
  }
}

export const loadOverlay = chunkLoader<PreviewChunk>('microseg.preview.js', '__microsegPreview', 'microseg#preview', hasFunctions<PreviewChunk>('mount', 'verify'));
